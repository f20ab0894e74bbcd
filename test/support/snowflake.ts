const DISCORD_EPOCH = 1_420_070_400_000n;
let sequence = 0n;

/** A Discord-shaped id (timestamp-ordered), unique within this process. */
export function snowflake(): string {
  sequence = (sequence + 1n) & 0xfffn;
  const id =
    ((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (BigInt(process.pid & 0x3ff) << 12n) | sequence;
  return id.toString();
}
