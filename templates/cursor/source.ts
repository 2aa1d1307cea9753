import { readFileSync } from "node:fs";

// An emulated API over data/users.json: it returns the users changed after a timestamp,
// oldest first, one page at a time. Edit the file to see an incremental sync pick up
// only what changed.

export interface User {
  id: number;
  name: string;
  email: string;
  updated_at: string;
}

export function fetchUsersChangedSince(since: string, pageSize: number): Iterable<User[]> {
  const users = JSON.parse(readFileSync(new URL("./data/users.json", import.meta.url), "utf8")) as User[];
  const changed = users.filter((u) => Date.parse(u.updated_at) > Date.parse(since)).sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at));
  const pages: User[][] = [];
  for (let i = 0; i < changed.length; i += pageSize) pages.push(changed.slice(i, i + pageSize));
  return pages;
}
