import { describe, it } from "vitest";
import { destinations } from "../scenarios/destinations.js";
import { PORTS } from "../scenarios/ports.js";
import { SAME_ROWS } from "../scenarios/same-rows.js";
import { play } from "../scenarios/scenario.js";
import { usePostgres } from "../support/use-postgres.js";

// Every scenario on every destination (test/scenarios/): the ports of Fivetran's examples, the
// validation scenarios, the bundled examples, and the values destinations would store differently.
const pg = usePostgres("every_destination", { lazy: true });

for (const scenario of [...PORTS, ...SAME_ROWS]) {
  describe(scenario.name, () => {
    for (const destination of destinations(pg)) it(destination.kind, () => play(scenario, destination));
  });
}
