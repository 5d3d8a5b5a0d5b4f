/**
 * Thrown inside the gateway's own execution when an answer is not for it to give (a subgraph
 * error, a value `@apollo/gateway` would report): the request then goes to `@apollo/gateway`.
 */
export class Declined extends Error {
  constructor(reason = "left to @apollo/gateway") {
    super(reason);
  }
}
