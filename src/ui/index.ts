/**
 * ui: everything a person sees. The logger is the only owner of chalk and ora; rendering
 * is pure functions; output goes through the redactor. May import: util (and types).
 *
 * This file only describes the folder: each module is imported from its own file.
 */
export {};
