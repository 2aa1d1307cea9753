import { readFileSync } from "node:fs";

// An emulated API with a parent endpoint (companies) and a child endpoint per parent
// (a company's departments), over the JSON files in data/.

export interface Company {
  id: string;
  name: string;
  updated_at: string;
}

export interface Department {
  company_id: string;
  id: string;
  name: string;
  head_count: number;
  updated_at: string;
}

const read = <T>(file: string): T[] => JSON.parse(readFileSync(new URL(`./data/${file}`, import.meta.url), "utf8")) as T[];
const byTime = (a: { updated_at: string }, b: { updated_at: string }): number => Date.parse(a.updated_at) - Date.parse(b.updated_at);

export function listCompanies(): Company[] {
  return read<Company>("companies.json").sort((a, b) => a.id.localeCompare(b.id));
}

export function companiesChangedSince(since: string): Company[] {
  return read<Company>("companies.json").filter((c) => Date.parse(c.updated_at) > Date.parse(since)).sort(byTime);
}

export function departmentsChangedSince(companyId: string, since: string): Department[] {
  return read<Department>("departments.json")
    .filter((d) => d.company_id === companyId && Date.parse(d.updated_at) > Date.parse(since))
    .sort(byTime);
}
