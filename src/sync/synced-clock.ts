/** The time each operation is synced at (`_fivetran_synced`): one ISO string per millisecond, not one Date per row. */
export class SyncedClock {
  private stamp = "";
  private stampMs = -1;

  now(): string {
    const ms = Date.now();
    if (ms !== this.stampMs) {
      this.stampMs = ms;
      this.stamp = new Date(ms).toISOString();
    }
    return this.stamp;
  }
}
