/* Points where a test build of jitd may stop dead, to prove that what jitd
 * promises survives a crash there. A release jitd defines no hook (the
 * symbol is weak and stays unresolved), so these are no-ops in it; the test
 * programs link tests/integration/crash-hook.c into a jitd of their own. */
#pragma once

void jitd_test_hook(const char *point) __attribute__((weak));

static inline void test_hook(const char *point) {
        if (jitd_test_hook)
                jitd_test_hook(point);
}
