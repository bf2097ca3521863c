/* The PAM conversation, called directly rather than through pam_prompt(),
 * because a notice and a prompt must travel in one call (see
 * conversation.h). The message array is laid out so that both readings of
 * the PAM spec (array of pointers, Linux-PAM/OpenPAM; pointer to an array,
 * Solaris) see the same messages. A missing or NULL response is never
 * treated as an answer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>
#include <security/pam_modules.h>

#include "conversation.h"
#include "macros.h"

static void responses_free(struct pam_response *resp, int n) {
        if (!resp)
                return;
        for (int i = 0; i < n; i++)
                if (resp[i].resp) {
                        explicit_bzero(resp[i].resp, strlen(resp[i].resp));
                        free(resp[i].resp);
                }
        free(resp);
}

static int converse(pam_handle_t *pamh, const struct pam_message *msgs, int n,
                    struct pam_response **ret_resp) {
        const struct pam_message *ptrs[2];
        const struct pam_conv *conv = NULL;
        struct pam_response *resp = NULL;
        int r;

        if (n <= 0 || n > (int) ELEMENTSOF(ptrs))
                return -EINVAL;
        for (int i = 0; i < n; i++)
                ptrs[i] = &msgs[i];

        if (pam_get_item(pamh, PAM_CONV, (const void **) &conv) != PAM_SUCCESS || !conv || !conv->conv)
                return -ECANCELED;

        r = conv->conv(n, ptrs, &resp, conv->appdata_ptr);
        if (r != PAM_SUCCESS) {
                /* A conversation that failed may still have allocated. */
                responses_free(resp, n);
                return -ECANCELED;
        }
        *ret_resp = resp;
        return 0;
}

int conv_notice(pam_handle_t *pamh, int style, const char *text) {
        struct pam_message m = { .msg_style = style, .msg = text };
        struct pam_response *resp = NULL;
        int r;

        r = converse(pamh, &m, 1, &resp);
        if (r < 0)
                return r;
        responses_free(resp, 1);
        return 0;
}

int conv_ask(pam_handle_t *pamh, int notice_style, const char *notice, const char *prompt,
             char **ret_answer) {
        struct pam_message m[2];
        struct pam_response *resp = NULL;
        char *answer;
        int n = 0, r;

        if (notice)
                m[n++] = (struct pam_message) { .msg_style = notice_style, .msg = notice };
        m[n++] = (struct pam_message) { .msg_style = PAM_PROMPT_ECHO_ON, .msg = prompt };

        r = converse(pamh, m, n, &resp);
        if (r < 0)
                return r;
        if (!resp || !resp[n - 1].resp) {
                responses_free(resp, n);
                return -ECANCELED;
        }

        answer = TAKE_PTR(resp[n - 1].resp);
        responses_free(resp, n);
        *ret_answer = answer;
        return 0;
}
