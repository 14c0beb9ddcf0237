/**
 * AWS API Gateway quotas the wire protocol must respect, in one place so the server, the local
 * gateway and the client SDK enforce the same numbers. The WebSocket quotas cannot be raised.
 *
 * WebSocket quotas: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
 * REST quotas: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
 */
export const LIMITS = {
  /** WebSocket "Message payload size": 128 KB per message, either direction. Send ids, not data. */
  wsMessageBytes: 128 * 1024,
  /** WebSocket "WebSocket frame size": 32 KB; a larger message is split into frames. */
  wsFrameBytes: 32 * 1024,
  /** WebSocket "Idle Connection Timeout": 10 minutes without traffic closes the socket. */
  wsIdleTimeoutMs: 10 * 60 * 1000,
  /** WebSocket "Connection duration": 2 hours, after which API Gateway closes the socket. */
  wsMaxConnectionAgeMs: 2 * 60 * 60 * 1000,
  /** REST "Payload size": 10 MB per request; bigger files go to S3 through a presigned upload. */
  restPayloadBytes: 10 * 1024 * 1024,
  /**
   * REST "Integration timeout": 29 seconds by default (regional APIs may raise it at the cost of
   * throttle quota; we do not). Work that may take longer runs as a job.
   */
  integrationTimeoutMs: 29_000,
} as const;

/**
 * S3 multipart upload rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html)
 * and Herald's own bounds on presigning parts, shared by the server and the client SDK.
 *
 * @example
 * const parts = Math.ceil(sizeBytes / partSize); // never more than MULTIPART_LIMITS.maxParts
 */
export const MULTIPART_LIMITS = {
  /** S3: at most 10,000 parts per upload; this decides the part size of a large file. */
  maxParts: 10_000,
  /** S3: every part but the last must have at least 5 MiB (`EntityTooSmall` otherwise). Literals: a bundler drops an unused object of literals. */
  minPartBytes: 5_242_880,
  /** S3: at most 5 GiB per part (and per single PUT). */
  maxPartBytes: 5_368_709_120,
  /** Herald: most part URLs one `POST /uploads` or `POST /uploads/{jobId}/parts` presigns. */
  maxPartsPerPresign: 100,
} as const;
