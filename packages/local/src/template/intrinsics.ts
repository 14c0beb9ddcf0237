/**
 * CloudFormation's intrinsic functions, evaluated against a local resolver. The local stack reads
 * the synthesized template and must turn values such as
 * `{"Fn::Join": ["", ["https://", {"Ref": "WebSocketApi"}, ".execute-api.", …]]}` into the
 * strings a Lambda function would see on AWS — with local names and endpoints in place of the
 * deployed ones. Only what Herald's template uses is supported; anything else fails loudly with
 * the logical id and the path of the value, never silently.
 */

/** Raised when a value names a resource or attribute the local mapping does not cover. */
export class UnmappedReferenceError extends Error {
  override readonly name = 'UnmappedReferenceError';
  constructor(
    readonly logicalId: string,
    readonly detail: string,
    readonly where: string,
  ) {
    super(
      `${where}: ${detail} (logical id ${logicalId}); add it to the local mapping (packages/local/src/template/mapping.ts)`,
    );
  }
}

/** Raised for an intrinsic function the evaluator does not implement. */
export class UnsupportedIntrinsicError extends Error {
  override readonly name = 'UnsupportedIntrinsicError';
  constructor(
    readonly intrinsic: string,
    readonly where: string,
  ) {
    super(`${where}: ${intrinsic} is not supported by the local stack's template reader`);
  }
}

/** Answers `Ref` and `Fn::GetAtt` for logical ids (and pseudo parameters for `Ref`). */
export interface ReferenceResolver {
  ref(logicalId: string, where: string): string;
  getAtt(logicalId: string, attribute: string, where: string): string;
}

/** The template's `Mappings` section, for `Fn::FindInMap`. */
export type Mappings = Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;

type Resolved = string | readonly string[];

/**
 * Evaluates one template value to a string (or a list, for `Fn::Split` and literal lists).
 *
 * @example
 * resolveValue({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }]] }, resolver, 'Env.X'); // 'arn:aws'
 */
export function resolveValue(
  value: unknown,
  resolver: ReferenceResolver,
  where: string,
  mappings: Mappings = {},
): Resolved {
  const again = (v: unknown, suffix: string) => resolveValue(v, resolver, `${where}${suffix}`, mappings);
  const scalar = (v: unknown, suffix: string): string => {
    const r = again(v, suffix);
    if (typeof r !== 'string') throw new TypeError(`${where}${suffix}: expected a string, got a list`);
    return r;
  };
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v, i) => scalar(v, `[${i}]`));
  if (typeof value !== 'object' || value === null)
    throw new TypeError(`${where}: unexpected ${String(value)}`);
  const keys = Object.keys(value);
  const [fn] = keys;
  if (keys.length !== 1 || fn === undefined)
    throw new TypeError(`${where}: an object that is not an intrinsic`);
  const arg: unknown = (value as Record<string, unknown>)[fn];
  switch (fn) {
    case 'Ref':
      return resolver.ref(String(arg), where);
    case 'Fn::GetAtt': {
      const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
      return resolver.getAtt(String(id), String(attribute), where);
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown];
      const list = again(parts, '.Fn::Join');
      return (typeof list === 'string' ? [list] : list).join(separator);
    }
    case 'Fn::Sub': {
      const [text, vars] = Array.isArray(arg)
        ? (arg as [string, Record<string, unknown>])
        : [String(arg), {}];
      return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        if (name.startsWith('!')) return `\${${name.slice(1)}}`;
        if (Object.hasOwn(vars, name)) return scalar(vars[name], `.Fn::Sub.${name}`);
        const [id, attribute] = name.split(/\.(.*)/s);
        return attribute ? resolver.getAtt(String(id), attribute, where) : resolver.ref(name, where);
      });
    }
    case 'Fn::Select': {
      const [index, list] = arg as [unknown, unknown];
      const items = again(list, '.Fn::Select');
      const item = typeof items === 'string' ? undefined : items[Number(scalar(index, '.Fn::Select'))];
      if (item === undefined) throw new RangeError(`${where}: Fn::Select index out of range`);
      return item;
    }
    case 'Fn::Split': {
      const [separator, text] = arg as [string, unknown];
      return scalar(text, '.Fn::Split').split(separator);
    }
    case 'Fn::FindInMap': {
      const [map, top, second] = (arg as unknown[]).map((v, i) => scalar(v, `.Fn::FindInMap[${i}]`));
      const found = mappings[String(map)]?.[String(top)]?.[String(second)];
      if (found === undefined)
        throw new UnmappedReferenceError(String(map), `no mapping ${top}/${second}`, where);
      return again(found, '.Fn::FindInMap');
    }
    default:
      throw new UnsupportedIntrinsicError(fn, where);
  }
}

/** {@link resolveValue} for a value that must be one string. */
export function resolveString(
  value: unknown,
  resolver: ReferenceResolver,
  where: string,
  mappings?: Mappings,
): string {
  const resolved = resolveValue(value, resolver, where, mappings);
  if (typeof resolved !== 'string') throw new TypeError(`${where}: expected a string, got a list`);
  return resolved;
}

/**
 * The logical id a value points at, when it is a plain `Ref` or `Fn::GetAtt` (how the template
 * wires resources to each other: a route's integration to its function, a mapping to its queue).
 */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if ('Ref' in value) return String((value as { Ref: unknown }).Ref);
  if ('Fn::GetAtt' in value) {
    const arg = (value as { 'Fn::GetAtt': unknown })['Fn::GetAtt'];
    return String(Array.isArray(arg) ? arg[0] : String(arg).split('.')[0]);
  }
  return undefined;
}

/** Every logical id a value mentions (inside joins and subs too), in order of appearance. */
export function mentionedIds(value: unknown): string[] {
  const ids: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const item of v) walk(item);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    const direct = referencedId(v);
    if (direct !== undefined && !direct.startsWith('AWS::')) ids.push(direct);
    const sub = (v as Record<string, unknown>)['Fn::Sub'];
    if (sub !== undefined) {
      const text = Array.isArray(sub) ? String(sub[0]) : String(sub);
      for (const m of text.matchAll(/\$\{([^}!.]+)/g)) if (!m[1]?.startsWith('AWS::')) ids.push(String(m[1]));
    }
    for (const inner of Object.values(v)) walk(inner);
  };
  walk(value);
  return [...new Set(ids)];
}
