/* Talking to the user through the application's PAM conversation: notices
 * and prompts. Callers pass text that is already safe to show (our own
 * words plus sanitised values). */
#pragma once

#include <security/pam_modules.h>

/* Show one PAM_TEXT_INFO or PAM_ERROR_MSG. 0, or -ECANCELED if the
 * application has no conversation or it failed; callers that only inform
 * may ignore that. */
int conv_notice(pam_handle_t *pamh, int style, const char *text);

/* Ask one PAM_PROMPT_ECHO_ON question, optionally preceded by a notice in
 * the same conversation call. The notice rides along with the prompt on
 * purpose: sshd's keyboard-interactive conversation holds notices back
 * until the next prompt, so a notice sent on its own before a long wait
 * would reach the user only after it. *ret_answer is malloc'ed ("" for an
 * empty line). -ECANCELED if the conversation failed or gave no answer
 * (Ctrl-C, client gone), -ENOMEM. */
int conv_ask(pam_handle_t *pamh, int notice_style, const char *notice, const char *prompt,
             char **ret_answer);
