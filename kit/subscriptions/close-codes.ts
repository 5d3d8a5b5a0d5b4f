import { CloseCode } from "graphql-ws";

/**
 * The WebSocket close codes our services send of their own, beside graphql-ws's protocol codes
 * (`CloseCode` of graphql-ws: 4400 bad request, 4401 unauthorized, 4408 init timeout, 4409
 * subscriber exists, 4429 too many init requests), which graphql-ws sends itself.
 */
export enum ServiceCloseCode {
  /** The credential in `connection_init` is missing or invalid, or the access token expired. */
  Forbidden = CloseCode.Forbidden,
  /** The caller already has `WS_MAX_CONNECTIONS_PER_CALLER` connections open. */
  TooManyConnections = 4029,
}
