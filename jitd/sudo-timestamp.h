/* Dropping sudo's cached credentials of a user when a grant ends, so that
 * the next sudo asks again. Defence in depth: pam_jit's account phase runs
 * on every sudo call, cached timestamp or not, and denies without a live
 * grant anyway. */
#pragma once

/* Remove the regular file `dir`/`user` (sudo's per-user timestamp file).
 * Never follows a symlink, and leaves anything but a regular file alone
 * (-ELOOP for a symlink, -EPERM otherwise). 1 removed, 0 nothing there
 * (no file, no directory), -ENOTDIR if `dir` is a symlink or no directory,
 * -EINVAL for a name that is not a valid user name. */
int sudo_timestamp_drop(const char *dir, const char *user);
