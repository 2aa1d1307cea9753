import { Connector, log, op } from "connector-sdk";
import { z } from "zod";
import { companiesChangedSince, departmentsChangedSince, listCompanies } from "./source.js";

const EPOCH = "2000-01-01T00:00:00Z";

export default new Connector({
  // One cursor per table, and for the child table one cursor per parent:
  // { companies_cursor, departments: { acme: "...", globex: "..." } }.
  state: z.object({
    companies_cursor: z.string().default(EPOCH),
    departments: z.record(z.string(), z.string()).default({}),
  }),
  schema: () => [
    { table: "companies", primary_key: ["id"], columns: { id: "STRING", name: "STRING", updated_at: "UTC_DATETIME" } },
    { table: "departments", primary_key: ["company_id", "id"], columns: { company_id: "STRING", id: "STRING", name: "STRING", head_count: "INT", updated_at: "UTC_DATETIME" } },
  ],
  update(configuration, state) {
    let companiesCursor = state.companies_cursor;
    const departments = { ...state.departments };

    for (const company of companiesChangedSince(companiesCursor)) {
      op.upsert("companies", company);
      companiesCursor = company.updated_at;
    }
    // A checkpoint that commits nothing and moves no cursor would only clutter `connector state history`.
    if (companiesCursor !== state.companies_cursor) op.checkpoint({ companies_cursor: companiesCursor, departments });

    // Children can change while their parent does not, so every parent is visited,
    // each from its own cursor, with a checkpoint after each parent.
    for (const company of listCompanies()) {
      let cursor = departments[company.id] ?? EPOCH;
      for (const department of departmentsChangedSince(company.id, cursor)) {
        op.upsert("departments", department);
        cursor = department.updated_at;
      }
      if (cursor === departments[company.id]) continue;
      departments[company.id] = cursor;
      op.checkpoint({ companies_cursor: companiesCursor, departments });
      log.debug(`departments of ${company.id} synced up to ${cursor}`);
    }
  },
});
