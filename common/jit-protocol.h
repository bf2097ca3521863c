/* The io.jit interface: method and error names, the protocol version and the
 * limits both ends enforce. This header is the contract between pam_jit.so,
 * jitd and jitctl; doc/protocol.md describes every method's parameters.
 *
 * Wire format (varlink): one JSON object per message, terminated by a NUL.
 *   call:  {"method":"io.jit.Check","parameters":{"protocol":1,...},"more":false}
 *   reply: {"parameters":{"protocol":1,...}}            (success)
 *          {"error":"io.jit.NoGrant","parameters":{...}} (failure)
 *   With "more":true the server may send several replies; every reply but
 *   the last carries "continues":true.
 */
#pragma once

#define JIT_PROTOCOL_VERSION 1

#define JIT_SOCKET_PATH_DEFAULT "/run/jitd/io.jit"

/* Limits: a message larger than this, or nested deeper, is rejected unread. */
#define JIT_MESSAGE_SIZE_MAX (64U * 1024U)
#define JIT_JSON_DEPTH_MAX 8

/* Field size caps (bytes, excluding NUL). Longer input is refused, not cut. */
#define JIT_USER_MAX 64
#define JIT_SERVICE_MAX 64
#define JIT_RHOST_MAX 255
#define JIT_TTY_MAX 64
#define JIT_REASON_MAX 512
#define JIT_SESSION_MAX 64
#define JIT_ID_MAX 32 /* buffer size for request/grant ids ("r" / "g" + 16 chars) */
#define JIT_MATCH_CODE_MAX 16
/* Where a request was announced (Request and Check replies: "endpoints",
 * "approvers"): at most this many names per list, each at most this long.
 * Display only; a receiver shows no more than this either. */
#define JIT_DESTINATIONS_MAX 8
#define JIT_DESTINATION_NAME_MAX 64

#define JIT_METHOD_CHECK "io.jit.Check"
#define JIT_METHOD_REQUEST "io.jit.Request"
#define JIT_METHOD_WAIT_DECISION "io.jit.WaitDecision"
#define JIT_METHOD_OPEN_SESSION "io.jit.OpenSession"
#define JIT_METHOD_CLOSE_SESSION "io.jit.CloseSession"
#define JIT_METHOD_STATUS "io.jit.Status"
#define JIT_METHOD_LIST "io.jit.List"
#define JIT_METHOD_SHOW "io.jit.Show"
#define JIT_METHOD_APPROVE "io.jit.Approve"
#define JIT_METHOD_DENY "io.jit.Deny"
#define JIT_METHOD_REVOKE "io.jit.Revoke"
#define JIT_METHOD_GRANT "io.jit.Grant"
#define JIT_METHOD_EXPIRE "io.jit.Expire"
#define JIT_METHOD_RESEND "io.jit.Resend"

/* Errors. NoGrant is the normal "not allowed (yet)" answer to Check. */
#define JIT_ERROR_NO_GRANT "io.jit.NoGrant"
#define JIT_ERROR_PERMISSION_DENIED "io.jit.PermissionDenied"
#define JIT_ERROR_INVALID_PARAMETER "io.jit.InvalidParameter"
#define JIT_ERROR_PROTOCOL_MISMATCH "io.jit.ProtocolMismatch"
#define JIT_ERROR_NOT_FOUND "io.jit.NotFound"
#define JIT_ERROR_NO_SESSION "io.jit.NoSession" /* sudo outside a logind session, and on_expiry=terminate */
#define JIT_ERROR_CONFLICT "io.jit.Conflict" /* e.g. request no longer pending */
#define JIT_ERROR_STORE_UNAVAILABLE "io.jit.StoreUnavailable"
/* jitd runs without the admin's configuration (it did not load at start):
 * a denial for every user it covers, like StoreUnavailable. */
#define JIT_ERROR_CONFIG_UNAVAILABLE "io.jit.ConfigUnavailable"
#define JIT_ERROR_LIMIT "io.jit.LimitExceeded"
#define JIT_ERROR_RATE_LIMITED "io.jit.RateLimited" /* too many new requests from one user: [jitd] request_limit */
#define JIT_ERROR_METHOD_NOT_FOUND "org.varlink.service.MethodNotFound"
#define JIT_ERROR_INVALID_MESSAGE "io.jit.InvalidMessage"

typedef enum JitAction {
        JIT_ACTION_LOGIN,
        JIT_ACTION_SUDO,
        _JIT_ACTION_MAX,
        _JIT_ACTION_INVALID = -1,
} JitAction;

const char *jit_action_to_string(JitAction a);
JitAction jit_action_from_string(const char *s);
