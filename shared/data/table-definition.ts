/**
 * The single table's physical definition, shared by the CDK stack and the local runtime (which
 * creates the same table in dynalite or DynamoDB Local). Access patterns: ./ACCESS_PATTERNS.md.
 */
export const table = {
  partitionKey: 'PK',
  sortKey: 'SK',
  ttlAttribute: 'expiresAt',
  /**
   * GSI1 exists for one reason: per-shop listing of customer profiles (the scheduled run, segment
   * queries) without scanning other shops or any timeline. It is sparse (only profiles carry
   * GSI1PK) and write-sharded (GSI1PK = SHOP#{shopId}#S#{0..shards-1}) so a busy shop never
   * concentrates on one index partition. KEYS_ONLY: profile updates that do not touch the keys
   * cost no index write.
   */
  gsi1: { name: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK', shards: 16 },
} as const;
