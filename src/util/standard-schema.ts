/** The Standard Schema V1 interface (standardschema.dev), which zod 4, valibot and arktype implement. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** What a Standard Schema validator returns: the value, or its issues. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };

/** One validation problem, with the path of the offending value. */
export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** The output type of a Standard Schema: what update() receives after validation. */
export type InferOutput<S> = S extends StandardSchemaV1<unknown, infer O> ? O : never;

/** Runs a Standard Schema and returns its value, or its issues as "path: message" lines. */
export async function validateWith<T>(schema: StandardSchemaV1<unknown, T>, value: unknown): Promise<{ ok: true; value: T } | { ok: false; problems: string[] }> {
  const result = await schema["~standard"].validate(value);
  if (!result.issues) return { ok: true, value: result.value };
  return { ok: false, problems: result.issues.map(formatIssue) };
}

export function formatIssue(issue: StandardIssue): string {
  const parts = (issue.path ?? []).map((p) => String(typeof p === "object" && p !== null ? p.key : p));
  return `${parts.length ? parts.join(".") : "(root)"}: ${issue.message}`;
}
