/** Until the SDK lands, the wire contracts are the client's whole surface. */
export * from '@herald/protocol';
