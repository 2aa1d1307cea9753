/**
 * setup: setup forms and setup tests (`connector configuration`): declared on the
 * Connector or derived from its configuration schema. May import: sdk, state, sync,
 * project, util.
 */
export type { FormField, SetupForm, SetupTest } from "./form.js";
