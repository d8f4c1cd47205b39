/**
 * Google's answer to a token without the scope a method needs, as seen live (403
 * PERMISSION_DENIED, reason ACCESS_TOKEN_SCOPE_INSUFFICIENT, domain googleapis.com): the one copy
 * the emulator's contract, the emulator's tests and the client's error tests compare with.
 */
export const SCOPE_INSUFFICIENT_BODY = {
  error: {
    code: 403,
    message: 'Request had insufficient authentication scopes.',
    status: 'PERMISSION_DENIED',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
        domain: 'googleapis.com',
        metadata: { service: 'health.googleapis.com' },
      },
    ],
  },
} as const;
