/**
 * How `connector configuration` asks for a field on a terminal: the label and its help,
 * the choices of a dropdown, the default in brackets, and the answer checked before the
 * next field. Secret answers are read without echo, and their current value is never shown.
 */
import type { Field } from "../setup/form.js";
import { normalizeAnswer, type Ask } from "../setup/form-values.js";
import type { Ui } from "./logger.js";
import { writeErr } from "./output.js";
import type { TerminalReader } from "./terminal-reader.js";

/** What the brackets after a question offer on Enter. */
export function offered(field: Field, initial: string | undefined, fromCurrent: boolean): string {
  if (initial === undefined) return field.placeholder ? ` (e.g. ${field.placeholder})` : "";
  if (field.secret) return fromCurrent ? " [Enter keeps the current value]" : " [Enter keeps the default]";
  if (field.kind === "toggle") return initial === "true" ? " [Y/n]" : " [y/N]";
  return ` [${initial}]`;
}

/** The lines before a question: its help, and a dropdown's numbered choices. */
function questionHelp(field: Field): string[] {
  const lines: string[] = [];
  if (field.description) lines.push(`  ${field.description}`);
  if (field.kind === "dropdown" && field.choices) {
    const width = Math.max(...field.choices.map((c) => c.value.length));
    field.choices.forEach((c, i) => {
      const about = [c.label && c.label !== c.value ? c.label : "", c.description ?? ""].filter(Boolean).join(": ");
      lines.push(`  ${i + 1}) ${about ? c.value.padEnd(width) + "  " + about : c.value}`);
    });
  }
  return lines;
}

/** An Ask that puts each field's question on the terminal until the answer fits. */
export function terminalAsk(ui: Ui, reader: TerminalReader, current: Record<string, string | undefined>): Ask {
  return async (field, initial, problem) => {
    if (problem) ui.error(`  ${problem}`);
    else {
      ui.info("");
      for (const line of questionHelp(field)) ui.info(ui.color.dim(line));
    }
    const fromCurrent = current[field.name] !== undefined && current[field.name] === initial;
    const question = `${field.label}${field.required && field.kind !== "toggle" ? " (required)" : ""}${offered(field, initial, fromCurrent)}: `;
    for (;;) {
      writeErr(ui.color.bold(question));
      const text = await reader.line(field.secret);
      if (text.trim() === "") {
        if (initial !== undefined) return initial;
        if (!field.required) return undefined;
        ui.error(`  ${field.label} is required.`);
        continue;
      }
      const r = normalizeAnswer(field, text);
      if ("value" in r) return r.value;
      ui.error(`  ${field.label}: ${r.problem}`);
    }
  };
}
