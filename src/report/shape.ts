// A small runtime description of JSON shapes, from which both the TypeScript
// type (Infer<S>) and the validator come, so the report's schema has one home
// (schema.ts). Objects are closed: a field the schema does not name is an
// error, so a writer and the schema cannot drift apart silently.

export type Shape =
  | { readonly kind: "string"; readonly pattern?: RegExp; readonly values?: readonly string[] }
  | { readonly kind: "number"; readonly integer: boolean; readonly min?: number; readonly max?: number }
  | { readonly kind: "boolean" }
  | { readonly kind: "literal"; readonly value: string | number }
  | { readonly kind: "nullable"; readonly inner: Shape }
  | { readonly kind: "array"; readonly item: Shape; readonly minItems?: number }
  | { readonly kind: "tuple"; readonly items: readonly Shape[] }
  | { readonly kind: "record"; readonly value: Shape }
  | { readonly kind: "object"; readonly fields: Readonly<Record<string, Shape>>; readonly optional: readonly string[] }
  | { readonly kind: "union"; readonly tag: string; readonly options: readonly ObjectShape[] };

type ObjectShape = Extract<Shape, { kind: "object" }>;

// Carries the static type alongside the runtime description.
export interface Typed<T> {
  readonly shape: Shape;
  // A field that may be absent from its object.
  readonly optional?: boolean;
  readonly _type?: T;
}

export type Infer<S> = S extends Typed<infer T> ? T : never;

type Fields = Record<string, Typed<unknown>>;
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends Typed<infer T> ? (undefined extends T ? K : never) : never }[keyof F];
type RequiredKeys<F extends Fields> = Exclude<keyof F, OptionalKeys<F>>;
type ObjectOf<F extends Fields> = { readonly [K in RequiredKeys<F>]: Infer<F[K]> } & { readonly [K in OptionalKeys<F>]?: Exclude<Infer<F[K]>, undefined> };
type Flatten<T> = { [K in keyof T]: T[K] } & {};

const typed = <T>(shape: Shape): Typed<T> => ({ shape });

export const t = {
  string: (options: { pattern?: RegExp } = {}): Typed<string> => typed({ kind: "string", ...options }),
  oneOf: <const V extends readonly string[]>(values: V): Typed<V[number]> => typed({ kind: "string", values }),
  number: (options: { min?: number; max?: number } = {}): Typed<number> => typed({ kind: "number", integer: false, ...options }),
  integer: (options: { min?: number; max?: number } = {}): Typed<number> => typed({ kind: "number", integer: true, ...options }),
  boolean: (): Typed<boolean> => typed({ kind: "boolean" }),
  literal: <const V extends string | number>(value: V): Typed<V> => typed({ kind: "literal", value }),
  nullable: <T>(inner: Typed<T>): Typed<T | null> => typed({ kind: "nullable", inner: inner.shape }),
  array: <T>(item: Typed<T>, options: { minItems?: number } = {}): Typed<readonly T[]> => typed({ kind: "array", item: item.shape, ...options }),
  tuple: <const T extends readonly Typed<unknown>[]>(...items: T): Typed<{ readonly [K in keyof T]: Infer<T[K]> }> =>
    typed({ kind: "tuple", items: items.map((i) => i.shape) }),
  record: <T>(value: Typed<T>): Typed<Readonly<Record<string, T>>> => typed({ kind: "record", value: value.shape }),
  // A field that may be absent.
  optional: <T>(inner: Typed<T>): Typed<T | undefined> => ({ shape: inner.shape, optional: true }),
  object: <F extends Fields>(fields: F): Typed<Flatten<ObjectOf<F>>> => {
    const optional = Object.keys(fields).filter((k) => fields[k].optional === true);
    return typed({ kind: "object", fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.shape])), optional });
  },
  // Objects told apart by the string literal in field `tag`.
  union: <const O extends readonly Typed<object>[]>(tag: string, ...options: O): Typed<Infer<O[number]>> =>
    typed({ kind: "union", tag, options: options.map((o) => o.shape as ObjectShape) }),
};

export interface ShapeError {
  // JSON path of the offending value, e.g. "$.run.simulation.cores[3].utilization".
  readonly path: string;
  readonly problem: string;
}

// Every place where `value` departs from `shape` (at most `limit`).
export function check(shape: Shape, value: unknown, path = "$", limit = 50): ShapeError[] {
  const errors: ShapeError[] = [];
  walk(shape, value, path, errors, limit);
  return errors;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);
}

function walk(shape: Shape, value: unknown, path: string, errors: ShapeError[], limit: number): void {
  if (errors.length >= limit) return;
  const fail = (problem: string): void => {
    errors.push({ path, problem });
  };
  switch (shape.kind) {
    case "string":
      if (typeof value !== "string") return fail(`expected a string, got ${describeValue(value)}`);
      if (shape.values && !shape.values.includes(value)) return fail(`expected one of ${shape.values.join(", ")}, got "${value}"`);
      if (shape.pattern && !shape.pattern.test(value)) return fail(`"${value}" does not match ${shape.pattern}`);
      return;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) return fail(`expected a finite number, got ${describeValue(value)}`);
      if (shape.integer && !Number.isInteger(value)) return fail(`expected an integer, got ${value}`);
      if (shape.min !== undefined && value < shape.min) return fail(`expected at least ${shape.min}, got ${value}`);
      if (shape.max !== undefined && value > shape.max) return fail(`expected at most ${shape.max}, got ${value}`);
      return;
    case "boolean":
      if (typeof value !== "boolean") fail(`expected true or false, got ${describeValue(value)}`);
      return;
    case "literal":
      if (value !== shape.value) fail(`expected ${JSON.stringify(shape.value)}, got ${describeValue(value)}`);
      return;
    case "nullable":
      if (value !== null) walk(shape.inner, value, path, errors, limit);
      return;
    case "array":
      if (!Array.isArray(value)) return fail(`expected an array, got ${describeValue(value)}`);
      if (shape.minItems !== undefined && value.length < shape.minItems) return fail(`expected at least ${shape.minItems} items, got ${value.length}`);
      value.forEach((item, i) => walk(shape.item, item, `${path}[${i}]`, errors, limit));
      return;
    case "tuple":
      if (!Array.isArray(value)) return fail(`expected an array, got ${describeValue(value)}`);
      if (value.length !== shape.items.length) return fail(`expected ${shape.items.length} items, got ${value.length}`);
      shape.items.forEach((item, i) => walk(item, value[i], `${path}[${i}]`, errors, limit));
      return;
    case "record":
      if (!isPlainObject(value)) return fail(`expected an object, got ${describeValue(value)}`);
      for (const [k, v] of Object.entries(value)) walk(shape.value, v, `${path}[${JSON.stringify(k)}]`, errors, limit);
      return;
    case "object": {
      if (!isPlainObject(value)) return fail(`expected an object, got ${describeValue(value)}`);
      for (const [k, fieldShape] of Object.entries(shape.fields)) {
        if (!(k in value) || value[k] === undefined) {
          if (!shape.optional.includes(k)) errors.push({ path: `${path}.${k}`, problem: "missing" });
          continue;
        }
        walk(fieldShape, value[k], `${path}.${k}`, errors, limit);
      }
      for (const k of Object.keys(value)) if (!(k in shape.fields)) errors.push({ path: `${path}.${k}`, problem: "not a field of the schema" });
      return;
    }
    case "union": {
      if (!isPlainObject(value)) return fail(`expected an object, got ${describeValue(value)}`);
      const tagValue = value[shape.tag];
      const option = shape.options.find((o) => {
        const tagShape = o.fields[shape.tag];
        return tagShape?.kind === "literal" && tagShape.value === tagValue;
      });
      if (!option) {
        const tags = shape.options.map((o) => JSON.stringify((o.fields[shape.tag] as { value?: unknown }).value)).join(", ");
        errors.push({ path: `${path}.${shape.tag}`, problem: `expected one of ${tags}, got ${describeValue(tagValue)}` });
        return;
      }
      walk(option, value, path, errors, limit);
      return;
    }
    default: {
      const never: never = shape;
      throw new Error(`unknown shape ${JSON.stringify(never)}`);
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
