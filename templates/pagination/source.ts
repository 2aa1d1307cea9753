import { readFileSync } from "node:fs";

// An emulated append-only event log over data/events.json. Ids only grow, and events
// are never changed once written, so "the events after id N" is a complete resume point.

export interface Event {
  id: number;
  kind: string;
  user_id: number;
  occurred_at: string;
}

export function fetchEventsAfter(afterId: number, limit: number): Event[] {
  const events = JSON.parse(readFileSync(new URL("./data/events.json", import.meta.url), "utf8")) as Event[];
  return events
    .filter((e) => e.id > afterId)
    .sort((a, b) => a.id - b.id)
    .slice(0, limit);
}
