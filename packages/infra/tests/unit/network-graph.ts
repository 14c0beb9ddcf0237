import type { CfnResourceJson, CfnTemplate } from './synth.ts';

/**
 * A template construct the graph does not model (a network ACL, a port it cannot resolve):
 * answering anyway could be wrong, so reading the template stops.
 *
 * @example
 * expect(() => NetworkGraph.fromTemplate(withNetworkAcl)).toThrow(NotModelledError);
 */
export class NotModelledError extends Error {
  override readonly name = 'NotModelledError';
}

export type Protocol = 'tcp' | 'udp' | 'icmp' | 'all';

/** What a rule admits or allows: another group, an address range, or a managed prefix list. */
export type Peer =
  | { readonly group: string }
  | { readonly cidr: string }
  | { readonly cidrV6: string }
  | { readonly prefixList: string };

export interface Rule {
  readonly protocol: Protocol;
  readonly fromPort: number;
  readonly toPort: number;
  readonly peer: Peer;
  /** Where the rule is declared: `<group> inline`, `<group> default egress`, or its resource's logical id. */
  readonly origin: string;
}

export interface SecurityGroupNode {
  readonly id: string;
  readonly description: string;
  readonly ingress: readonly Rule[];
  readonly egress: readonly Rule[];
}

export interface SubnetNode {
  readonly id: string;
  readonly cidr: string;
  /** Its route table (`undefined`: the VPC's main table, which holds the local route only). */
  readonly routeTable: string | undefined;
}

export interface InterfaceEndpointNode {
  readonly id: string;
  /** The service's short name: `secretsmanager`, `sqs`, `execute-api`, … */
  readonly service: string;
  readonly subnets: readonly string[];
  readonly groups: readonly string[];
  readonly privateDns: boolean;
}

export interface GatewayEndpointNode {
  readonly id: string;
  readonly service: string;
  readonly routeTables: readonly string[];
}

export type PlacementKind = 'function' | 'proxy' | 'instance' | 'rotation' | 'endpoint';

/** Something with network interfaces in the VPC: where it sits and which groups guard it. */
export interface Placement {
  /** A function's description (`ingest/sqs-ingest`), `RDS Proxy`, `DB instance`, … */
  readonly name: string;
  readonly kind: PlacementKind;
  /** The resource's logical id. */
  readonly id: string;
  readonly subnets: readonly string[];
  readonly groups: readonly string[];
  /** The port it listens on (the proxy and the instance). */
  readonly port?: number;
  /** `PubliclyAccessible` of a DB instance. */
  readonly publiclyAccessible?: boolean;
  /** A rotation function's explicit Secrets Manager endpoint (its `endpoint` parameter). */
  readonly endpoint?: string;
  /** A function's environment, unresolved. */
  readonly environment?: Readonly<Record<string, unknown>>;
}

/** Whether a path exists, and which way it goes or why it does not. */
export type Verdict =
  | { readonly ok: true; readonly via: string }
  | { readonly ok: false; readonly why: string };

/** A connection two placements' groups allow, as `<source groups> → <target groups>: tcp 5432`. */
export type Flow = string;

const ALL_PORTS = [0, 65_535] as const;
const HTTPS = 443;

const props = (r: CfnResourceJson | undefined): Record<string, unknown> => r?.Properties ?? {};
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The logical id a `Ref` or `Fn::GetAtt` names, or `undefined` for anything else. */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof v.Ref === 'string') return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** `a,b` joined by `Fn::Join` (the Serverless Application's list parameters), as logical ids. */
function joinedIds(value: unknown): string[] {
  if (typeof value === 'object' && value !== null && 'Fn::Join' in value) {
    const [, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map(referencedId).filter((id): id is string => id !== undefined);
  }
  const id = referencedId(value);
  return id === undefined ? [] : [id];
}

/** Every logical id a value mentions through `Ref` / `Fn::GetAtt`, with the attribute if any. */
export function mentions(value: unknown): { id: string; attribute?: string }[] {
  return [
    ...JSON.stringify(value ?? null).matchAll(/"Fn::GetAtt":\["([^"]+)","([^"]+)"\]|"Ref":"([^"]+)"/g),
  ].map((m) => (m[3] !== undefined ? { id: m[3] } : { id: m[1] as string, attribute: m[2] as string }));
}

/** `com.amazonaws.<region>.secretsmanager` (however the region is spelled) → `secretsmanager`. */
function serviceOf(serviceName: unknown): string {
  const flat = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'object' && v !== null && 'Fn::Join' in v) {
      const [sep, parts] = (v as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      return parts.map(flat).join(sep);
    }
    return 'token';
  };
  return flat(serviceName).split('.').at(-1) ?? '';
}

function ipv4(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new NotModelledError(`"${address}" is not an IPv4 address`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

/** `[first, last]` addresses of an IPv4 CIDR block. */
function range(cidr: string): [number, number] {
  const [address, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const first = Math.floor(ipv4(address ?? '') / size) * size;
  return [first, first + size - 1];
}

/** Whether CIDR `outer` contains every address of `inner`. */
export function cidrContains(outer: string, inner: string): boolean {
  const [a, b] = range(outer);
  const [c, d] = range(inner);
  return a <= c && d <= b;
}

/** Whether two CIDR blocks share an address. */
export function cidrOverlaps(x: string, y: string): boolean {
  const [a, b] = range(x);
  const [c, d] = range(y);
  return a <= d && c <= b;
}

const isWorld = (peer: Peer): boolean =>
  ('cidr' in peer && peer.cidr === '0.0.0.0/0') || ('cidrV6' in peer && peer.cidrV6 === '::/0');

function describePeer(peer: Peer, graph: NetworkGraph): string {
  if ('group' in peer) return `group "${graph.groupName(peer.group)}"`;
  if ('cidr' in peer) return peer.cidr;
  if ('cidrV6' in peer) return peer.cidrV6;
  return `prefix list ${peer.prefixList}`;
}

/**
 * The network a CloudFormation template declares, as a graph that answers "can A open a TCP
 * connection to B on port P?" on paper: subnets and their route tables (local, NAT gateway,
 * internet gateway), security groups with their ingress and egress rules (inline and as
 * separate resources; by group, CIDR or prefix list), VPC endpoints (gateway endpoints by route
 * table, interface endpoints by subnet, group and private DNS), and what sits in the VPC: Lambda
 * functions, RDS Proxy, the DB instance, the Secrets Manager rotation function of a Serverless
 * Application, the interface endpoints themselves. Pure: it reads the template JSON, nothing else.
 *
 * What it models, and the AWS behaviour each rests on:
 * - Every route table has the implicit `local` route for the VPC's CIDR, so any two subnets of
 *   the VPC reach each other; security groups alone decide (no network ACL is declared; a
 *   template that declares one is refused, since it is not modelled).
 * - A subnet reaches the internet through a route `0.0.0.0/0` → a public NAT gateway that sits in
 *   a subnet whose own default route is the VPC's attached internet gateway. A subnet whose
 *   default route is the internet gateway is public; nothing Herald places there has a public
 *   IP, so for Herald's placements a public subnet is no way out.
 * - Security groups are stateful (replies always pass) and both ends must agree: the source's
 *   egress must allow the destination, and the destination's ingress the source.
 * - A group declared without inline egress rules gets CloudFormation's default egress (all
 *   traffic to `0.0.0.0/0`, and `::/0`) unless separate `AWS::EC2::SecurityGroupEgress` rules
 *   name it, which replace that default (CloudFormation's documented default, and CDK's
 *   account of how separate rules remove it: https://github.com/aws/aws-cdk/pull/998).
 * - An AWS service is reached through a gateway endpoint when the source subnet's route table is
 *   one of the endpoint's; otherwise through an interface endpoint of the service with private
 *   DNS (the service's public name then resolves to the endpoint's addresses in the VPC, so the
 *   NAT is no longer used for it), or one the caller names explicitly (the rotation function's
 *   `endpoint` parameter); otherwise over NAT.
 * - An interface endpoint with private DNS for `execute-api` would capture the public
 *   `*.execute-api` names, so `@connections` of a public WebSocket API would stop resolving to
 *   something a VPC function can reach.
 *
 * @example
 * const graph = NetworkGraph.fromTemplate(template);
 * const worker = graph.placement('ingest/sqs-ingest');
 * graph.connect(worker, graph.placement('DB instance'), 5432); // { ok: true, via: '…' }
 * graph.service(worker, 'sqs'); // through the SQS interface endpoint
 */
export class NetworkGraph {
  readonly subnets = new Map<string, SubnetNode>();
  readonly groups = new Map<string, SecurityGroupNode>();
  readonly interfaceEndpoints: InterfaceEndpointNode[] = [];
  readonly gatewayEndpoints: GatewayEndpointNode[] = [];
  readonly placements: Placement[] = [];
  /** Route table → its default route's next hop (`0.0.0.0/0`), by kind and logical id. */
  private readonly defaultRoutes = new Map<string, { kind: 'igw' | 'nat' | 'other'; target: string }>();
  /** Public NAT gateways → their subnet. */
  private readonly natGateways = new Map<string, string>();
  private readonly attachedInternetGateways = new Set<string>();

  private constructor(private readonly template: CfnTemplate) {}

  /** Reads the network out of a synthesized template (the JSON `Template.toJSON()` returns). */
  static fromTemplate(template: CfnTemplate): NetworkGraph {
    const graph = new NetworkGraph(template);
    graph.read();
    return graph;
  }

  private ofType(type: string): [string, CfnResourceJson][] {
    return Object.entries(this.template.Resources).filter(([, r]) => r.Type === type);
  }

  private read(): void {
    for (const type of [
      'AWS::EC2::NetworkAcl',
      'AWS::EC2::NetworkAclEntry',
      'AWS::EC2::SubnetNetworkAclAssociation',
    ]) {
      if (this.ofType(type).length > 0) throw new NotModelledError(`${type}: network ACLs are not modelled`);
    }
    const association = new Map<string, string>();
    for (const [, r] of this.ofType('AWS::EC2::SubnetRouteTableAssociation')) {
      const subnet = referencedId(props(r).SubnetId);
      const table = referencedId(props(r).RouteTableId);
      if (subnet !== undefined && table !== undefined) association.set(subnet, table);
    }
    for (const [id, r] of this.ofType('AWS::EC2::Subnet')) {
      const cidr = props(r).CidrBlock;
      if (typeof cidr !== 'string')
        throw new NotModelledError(`subnet ${id}: its CIDR block is not a literal`);
      this.subnets.set(id, { id, cidr, routeTable: association.get(id) });
    }
    for (const [, r] of this.ofType('AWS::EC2::VPCGatewayAttachment')) {
      const igw = referencedId(props(r).InternetGatewayId);
      if (igw !== undefined) this.attachedInternetGateways.add(igw);
    }
    for (const [id, r] of this.ofType('AWS::EC2::NatGateway')) {
      const subnet = referencedId(props(r).SubnetId);
      if (props(r).ConnectivityType !== 'private' && subnet !== undefined) this.natGateways.set(id, subnet);
    }
    for (const [id, r] of this.ofType('AWS::EC2::Route')) {
      const p = props(r);
      const table = referencedId(p.RouteTableId);
      if (table === undefined || p.DestinationCidrBlock !== '0.0.0.0/0') continue;
      const gateway = referencedId(p.GatewayId);
      const nat = referencedId(p.NatGatewayId);
      if (gateway !== undefined && this.template.Resources[gateway]?.Type === 'AWS::EC2::InternetGateway')
        this.defaultRoutes.set(table, { kind: 'igw', target: gateway });
      else if (nat !== undefined) this.defaultRoutes.set(table, { kind: 'nat', target: nat });
      else this.defaultRoutes.set(table, { kind: 'other', target: id });
    }
    this.readSecurityGroups();
    this.readEndpoints();
    this.readPlacements();
  }

  private rule(raw: Record<string, unknown>, direction: 'ingress' | 'egress', origin: string): Rule {
    const proto = String(raw.IpProtocol);
    const protocol: Protocol =
      proto === '-1'
        ? 'all'
        : proto === 'tcp' || proto === '6'
          ? 'tcp'
          : proto === 'udp' || proto === '17'
            ? 'udp'
            : 'icmp';
    const port = (v: unknown, fallback: number): number => {
      if (v === undefined) return fallback;
      if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) return Number(v);
      return this.resolvePort(v, origin);
    };
    const [fromPort, toPort] =
      protocol === 'all' || protocol === 'icmp'
        ? ALL_PORTS
        : [port(raw.FromPort, ALL_PORTS[0]), port(raw.ToPort, ALL_PORTS[1])];
    const group = referencedId(
      direction === 'ingress' ? raw.SourceSecurityGroupId : raw.DestinationSecurityGroupId,
    );
    const prefixList = direction === 'ingress' ? raw.SourcePrefixListId : raw.DestinationPrefixListId;
    let peer: Peer;
    if (group !== undefined) peer = { group };
    else if (typeof raw.CidrIp === 'string') peer = { cidr: raw.CidrIp };
    else if (typeof raw.CidrIpv6 === 'string') peer = { cidrV6: raw.CidrIpv6 };
    else if (prefixList !== undefined) peer = { prefixList: JSON.stringify(prefixList) };
    else throw new NotModelledError(`${origin}: a rule without a peer this graph can read`);
    // An ICMP rule never carries TCP; keep it so "open to the world" still sees it.
    return {
      protocol,
      fromPort: protocol === 'icmp' ? -1 : fromPort,
      toPort: protocol === 'icmp' ? -1 : toPort,
      peer,
      origin,
    };
  }

  /** A port given as `Fn::GetAtt [<DB instance>, Endpoint.Port]`: the instance's `Port`. */
  private resolvePort(value: unknown, where: string): number {
    const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    const resource = getAtt ? this.template.Resources[getAtt[0]] : undefined;
    if (getAtt?.[1] === 'Endpoint.Port' && resource?.Type === 'AWS::RDS::DBInstance') {
      const port = instancePort(resource);
      if (port !== undefined) return port;
    }
    throw new NotModelledError(
      `${where}: port ${JSON.stringify(value)} is not a literal or a DB instance's port`,
    );
  }

  private readSecurityGroups(): void {
    const separate = (type: string, direction: 'ingress' | 'egress') =>
      this.ofType(type).map(([id, r]) => ({
        group: referencedId(props(r).GroupId),
        rule: this.rule(props(r), direction, id),
      }));
    const ingress = separate('AWS::EC2::SecurityGroupIngress', 'ingress');
    const egress = separate('AWS::EC2::SecurityGroupEgress', 'egress');
    for (const [id, r] of this.ofType('AWS::EC2::SecurityGroup')) {
      const p = props(r);
      const inlineIngress = list(p.SecurityGroupIngress).map((raw) =>
        this.rule(raw as Record<string, unknown>, 'ingress', `${id} inline`),
      );
      const inlineEgress = list(p.SecurityGroupEgress).map((raw) =>
        this.rule(raw as Record<string, unknown>, 'egress', `${id} inline`),
      );
      const separateEgress = egress.filter((e) => e.group === id).map((e) => e.rule);
      const defaultEgress: Rule[] =
        inlineEgress.length === 0 && separateEgress.length === 0
          ? [
              {
                protocol: 'all',
                fromPort: 0,
                toPort: 65_535,
                peer: { cidr: '0.0.0.0/0' },
                origin: `${id} default egress`,
              },
              {
                protocol: 'all',
                fromPort: 0,
                toPort: 65_535,
                peer: { cidrV6: '::/0' },
                origin: `${id} default egress`,
              },
            ]
          : [];
      this.groups.set(id, {
        id,
        description: String(p.GroupDescription ?? id),
        ingress: [...inlineIngress, ...ingress.filter((i) => i.group === id).map((i) => i.rule)],
        egress: [...inlineEgress, ...separateEgress, ...defaultEgress],
      });
    }
  }

  private readEndpoints(): void {
    for (const [id, r] of this.ofType('AWS::EC2::VPCEndpoint')) {
      const p = props(r);
      const service = serviceOf(p.ServiceName);
      if ((p.VpcEndpointType ?? 'Gateway') === 'Gateway') {
        this.gatewayEndpoints.push({
          id,
          service,
          routeTables: list(p.RouteTableIds).map(referencedId).filter(isId),
        });
      } else if (p.VpcEndpointType === 'Interface') {
        const endpoint: InterfaceEndpointNode = {
          id,
          service,
          subnets: list(p.SubnetIds).map(referencedId).filter(isId),
          groups: list(p.SecurityGroupIds).map(referencedId).filter(isId),
          // CloudFormation's default for an interface endpoint is false.
          privateDns: p.PrivateDnsEnabled === true,
        };
        this.interfaceEndpoints.push(endpoint);
        this.placements.push({
          name: `${service} endpoint`,
          kind: 'endpoint',
          id,
          subnets: endpoint.subnets,
          groups: endpoint.groups,
          port: HTTPS,
        });
      } else {
        throw new NotModelledError(`VPC endpoint ${id}: type ${String(p.VpcEndpointType)} is not modelled`);
      }
    }
  }

  private readPlacements(): void {
    for (const [id, r] of this.ofType('AWS::Lambda::Function')) {
      const p = props(r);
      const vpc = p.VpcConfig as { SubnetIds?: unknown; SecurityGroupIds?: unknown } | undefined;
      if (vpc === undefined) continue;
      this.placements.push({
        name: typeof p.Description === 'string' ? p.Description : id,
        kind: 'function',
        id,
        subnets: list(vpc.SubnetIds).map(referencedId).filter(isId),
        groups: list(vpc.SecurityGroupIds).map(referencedId).filter(isId),
        environment: (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
      });
    }
    for (const [id, r] of this.ofType('AWS::RDS::DBProxy')) {
      const p = props(r);
      if (p.EngineFamily !== 'POSTGRESQL')
        throw new NotModelledError(`proxy ${id}: engine family ${String(p.EngineFamily)}`);
      this.placements.push({
        name: 'RDS Proxy',
        kind: 'proxy',
        id,
        subnets: list(p.VpcSubnetIds).map(referencedId).filter(isId),
        groups: list(p.VpcSecurityGroupIds).map(referencedId).filter(isId),
        // RDS Proxy listens on the engine's default port: 5432 for PostgreSQL.
        port: 5432,
      });
    }
    for (const [id, r] of this.ofType('AWS::RDS::DBInstance')) {
      const p = props(r);
      const subnetGroup = this.template.Resources[referencedId(p.DBSubnetGroupName) ?? ''];
      this.placements.push({
        name: 'DB instance',
        kind: 'instance',
        id,
        subnets: list(props(subnetGroup).SubnetIds).map(referencedId).filter(isId),
        groups: list(p.VPCSecurityGroups).map(referencedId).filter(isId),
        port: instancePort(r),
        publiclyAccessible: p.PubliclyAccessible === true,
      });
    }
    // The hosted rotation function (a Serverless Application from the Serverless Application
    // Repository): its VPC placement and its Secrets Manager endpoint are template parameters.
    for (const [id, r] of this.ofType('AWS::Serverless::Application')) {
      const parameters = (props(r).Parameters ?? {}) as Record<string, unknown>;
      if (parameters.vpcSubnetIds === undefined) continue;
      const endpoint = mentions(parameters.endpoint).find(
        (m) => this.template.Resources[m.id]?.Type === 'AWS::EC2::VPCEndpoint',
      )?.id;
      this.placements.push({
        name: 'rotation function',
        kind: 'rotation',
        id,
        subnets: joinedIds(parameters.vpcSubnetIds),
        groups: joinedIds(parameters.vpcSecurityGroupIds),
        ...(endpoint !== undefined && { endpoint }),
      });
    }
  }

  /** The placement of that name (a function's description, `RDS Proxy`, `DB instance`, …); throws if absent. */
  placement(name: string): Placement {
    const found = this.placements.filter((p) => p.name === name);
    if (found.length !== 1) throw new Error(`${found.length} placements named "${name}"`);
    return found[0] as Placement;
  }

  /** The placement of a logical id, if something of that id sits in the VPC. */
  placementOf(id: string): Placement | undefined {
    return this.placements.find((p) => p.id === id);
  }

  groupName(id: string): string {
    return this.groups.get(id)?.description ?? id;
  }

  /** Subnets whose default route is the VPC's internet gateway. */
  publicSubnets(): SubnetNode[] {
    return [...this.subnets.values()].filter((s) => {
      const route = s.routeTable === undefined ? undefined : this.defaultRoutes.get(s.routeTable);
      return route?.kind === 'igw' && this.attachedInternetGateways.has(route.target);
    });
  }

  private subnet(id: string): SubnetNode {
    const subnet = this.subnets.get(id);
    if (!subnet) throw new NotModelledError(`subnet ${id} is not declared in the template`);
    return subnet;
  }

  /** Whether a rule's peer is `other` (its groups, or the CIDR of `otherSubnet`). */
  private static peerMatches(
    rule: Rule,
    otherGroups: readonly string[],
    otherCidr: string | undefined,
  ): boolean {
    const { peer } = rule;
    if ('group' in peer) return otherGroups.includes(peer.group);
    if ('cidr' in peer) return otherCidr !== undefined && cidrContains(peer.cidr, otherCidr);
    return false;
  }

  private static carries(rule: Rule, port: number): boolean {
    return (
      (rule.protocol === 'all' || rule.protocol === 'tcp') && rule.fromPort <= port && port <= rule.toPort
    );
  }

  private rules(groups: readonly string[], direction: 'ingress' | 'egress'): Rule[] {
    return groups.flatMap((g) => {
      const group = this.groups.get(g);
      if (!group) throw new NotModelledError(`security group ${g} is not declared in the template`);
      return [...group[direction]];
    });
  }

  private names(groups: readonly string[]): string {
    return groups.map((g) => `"${this.groupName(g)}"`).join(', ') || '(no group)';
  }

  /** TCP from one network interface to another, inside the VPC (local route): both groups decide. */
  private hop(
    from: { groups: readonly string[]; cidr: string },
    to: { groups: readonly string[]; cidr: string },
    port: number,
  ): Verdict {
    const out = this.rules(from.groups, 'egress').find(
      (r) => NetworkGraph.carries(r, port) && NetworkGraph.peerMatches(r, to.groups, to.cidr),
    );
    if (!out)
      return {
        ok: false,
        why: `egress of ${this.names(from.groups)} does not allow tcp/${port} to ${this.names(to.groups)} (${to.cidr})`,
      };
    const admitted = this.rules(to.groups, 'ingress').find(
      (r) => NetworkGraph.carries(r, port) && NetworkGraph.peerMatches(r, from.groups, from.cidr),
    );
    if (!admitted)
      return {
        ok: false,
        why: `ingress of ${this.names(to.groups)} does not admit ${this.names(from.groups)} (${from.cidr}) on tcp/${port}`,
      };
    return { ok: true, via: `${out.origin} → ${admitted.origin}` };
  }

  /**
   * Whether `from` can open TCP `port` to `to` from every subnet it may run in, to every subnet
   * `to` may sit in (`toAny`: to at least one, as for an interface endpoint's per-AZ interfaces).
   */
  connect(from: Placement, to: Placement, port: number, toAny = false): Verdict {
    if (from.subnets.length === 0) return { ok: false, why: `${from.name} sits in no subnet` };
    if (to.subnets.length === 0) return { ok: false, why: `${to.name} sits in no subnet` };
    const vias = new Set<string>();
    for (const s of from.subnets) {
      const source = { groups: from.groups, cidr: this.subnet(s).cidr };
      const verdicts = to.subnets.map((t) =>
        this.hop(source, { groups: to.groups, cidr: this.subnet(t).cidr }, port),
      );
      const failed = verdicts.find((v): v is Extract<Verdict, { ok: false }> => !v.ok);
      const passed = verdicts.find((v): v is Extract<Verdict, { ok: true }> => v.ok);
      if (toAny ? passed === undefined : failed !== undefined) return failed ?? { ok: false, why: 'no path' };
      for (const v of verdicts) if (v.ok) vias.add(v.via);
    }
    return { ok: true, via: [...vias].join('; ') };
  }

  /** Whether every subnet of `from` has a NAT route to the internet and its groups allow tcp/`port` out. */
  internet(from: Placement, port = HTTPS, capturedBy?: string): Verdict {
    if (capturedBy !== undefined) {
      const captor = this.interfaceEndpoints.find((e) => e.service === capturedBy && e.privateDns);
      if (captor)
        return {
          ok: false,
          why: `the ${capturedBy} interface endpoint ${captor.id} (private DNS) captures the public name`,
        };
    }
    if (from.subnets.length === 0) return { ok: false, why: `${from.name} sits in no subnet` };
    const out = this.rules(from.groups, 'egress').find(
      (r) => NetworkGraph.carries(r, port) && isWorld(r.peer),
    );
    const vias = new Set<string>();
    for (const s of from.subnets) {
      const subnet = this.subnet(s);
      const route = subnet.routeTable === undefined ? undefined : this.defaultRoutes.get(subnet.routeTable);
      if (route?.kind !== 'nat')
        return {
          ok: false,
          why: `subnet ${s} has no NAT route (its default route: ${route?.kind ?? 'none'})`,
        };
      const natSubnet = this.natGateways.get(route.target);
      if (natSubnet === undefined)
        return { ok: false, why: `NAT gateway ${route.target} is private or not declared` };
      if (!this.publicSubnets().some((p) => p.id === natSubnet))
        return {
          ok: false,
          why: `NAT gateway ${route.target} sits in subnet ${natSubnet}, which has no internet gateway route`,
        };
      vias.add(`NAT ${route.target}`);
    }
    if (!out)
      return {
        ok: false,
        why: `egress of ${this.names(from.groups)} does not allow tcp/${port} to 0.0.0.0/0`,
      };
    return { ok: true, via: [...vias, out.origin].join('; ') };
  }

  /**
   * Whether `from` reaches an AWS service's API on 443 from every subnet it may run in: by a
   * gateway endpoint on its route table, else the interface endpoint it names or one with
   * private DNS, else NAT.
   */
  service(from: Placement, service: string, explicitEndpoint?: string): Verdict {
    const vias = new Set<string>();
    for (const s of from.subnets) {
      const table = this.subnet(s).routeTable;
      const gateway = this.gatewayEndpoints.find(
        (g) => g.service === service && table !== undefined && g.routeTables.includes(table),
      );
      let verdict: Verdict;
      if (gateway) {
        const out = this.rules(from.groups, 'egress').find(
          (r) => NetworkGraph.carries(r, HTTPS) && (isWorld(r.peer) || 'prefixList' in r.peer),
        );
        verdict = out
          ? { ok: true, via: `gateway endpoint ${gateway.id}` }
          : {
              ok: false,
              why: `egress of ${this.names(from.groups)} allows tcp/443 neither to 0.0.0.0/0 nor to a prefix list (gateway endpoint ${gateway.id})`,
            };
      } else {
        const endpoint =
          this.interfaceEndpoints.find((e) => e.id === explicitEndpoint) ??
          this.interfaceEndpoints.find((e) => e.service === service && e.privateDns);
        if (endpoint) {
          const single: Placement = { ...from, subnets: [s] };
          const target = this.placementOf(endpoint.id) as Placement;
          const hop = this.connect(single, target, HTTPS, true);
          verdict = hop.ok
            ? { ok: true, via: `interface endpoint ${endpoint.id} (${hop.via})` }
            : { ok: false, why: `through interface endpoint ${endpoint.id}: ${hop.why}` };
        } else {
          const nat = this.internet({ ...from, subnets: [s] });
          verdict = nat.ok
            ? { ok: true, via: `no endpoint, over ${nat.via}` }
            : { ok: false, why: `no endpoint for ${service}, and ${nat.why}` };
        }
      }
      if (!verdict.ok) return verdict;
      vias.add(verdict.via);
    }
    if (vias.size === 0) return { ok: false, why: `${from.name} sits in no subnet` };
    return { ok: true, via: [...vias].join('; ') };
  }

  /** Every ingress rule that admits the whole IPv4 or IPv6 internet, anywhere. */
  openToTheWorld(): string[] {
    return [...this.groups.values()].flatMap((g) =>
      g.ingress
        .filter((r) => isWorld(r.peer))
        .map(
          (r) =>
            `${r.origin}: "${g.description}" admits ${describePeer(r.peer, this)} (${r.protocol} ${r.fromPort}-${r.toPort})`,
        ),
    );
  }

  /**
   * How something in a public subnet could reach `target` on its port: the target sits in a
   * public subnet or is publicly accessible; an ingress rule admits an address range that
   * overlaps a public subnet; or it admits a group that something placed in a public subnet
   * wears. Empty when nothing can.
   */
  publicExposure(target: Placement): string[] {
    const port = target.port ?? HTTPS;
    const publicSubnets = this.publicSubnets();
    const reasons: string[] = [];
    if (target.publiclyAccessible) reasons.push(`${target.name} is publicly accessible`);
    for (const s of target.subnets)
      if (publicSubnets.some((p) => p.id === s)) reasons.push(`${target.name} sits in public subnet ${s}`);
    const publicGroups = new Set(
      this.placements
        .filter((p) => p.subnets.some((s) => publicSubnets.some((ps) => ps.id === s)))
        .flatMap((p) => p.groups),
    );
    for (const rule of this.rules(target.groups, 'ingress')) {
      if (!NetworkGraph.carries(rule, port)) continue;
      const { peer } = rule;
      if (isWorld(peer)) reasons.push(`${rule.origin} admits ${describePeer(peer, this)}`);
      else if ('cidr' in peer && publicSubnets.some((p) => cidrOverlaps(peer.cidr, p.cidr)))
        reasons.push(`${rule.origin} admits ${peer.cidr}, which covers a public subnet`);
      else if ('group' in peer && publicGroups.has(peer.group))
        reasons.push(`${rule.origin} admits group "${this.groupName(peer.group)}", worn in a public subnet`);
    }
    return reasons;
  }

  /**
   * Every connection the groups allow between two placements (both ends agree), as
   * `<source groups> → <target groups>: tcp 5432`, deduplicated: the whole inside of the VPC,
   * to compare with what Herald means to open.
   */
  flows(): Flow[] {
    const out = new Set<Flow>();
    for (const from of this.placements) {
      for (const to of this.placements) {
        if (from === to || from.groups.join() === to.groups.join()) continue;
        for (const s of from.subnets) {
          for (const t of to.subnets) {
            const fromCidr = this.subnet(s).cidr;
            const toCidr = this.subnet(t).cidr;
            const egress = this.rules(from.groups, 'egress').filter((r) =>
              NetworkGraph.peerMatches(r, to.groups, toCidr),
            );
            const ingress = this.rules(to.groups, 'ingress').filter((r) =>
              NetworkGraph.peerMatches(r, from.groups, fromCidr),
            );
            for (const i of ingress) {
              for (const e of egress) {
                const protocol =
                  i.protocol === 'all'
                    ? e.protocol
                    : e.protocol === 'all' || e.protocol === i.protocol
                      ? i.protocol
                      : undefined;
                if (protocol === undefined) continue;
                const low = Math.max(i.fromPort, e.fromPort);
                const high = Math.min(i.toPort, e.toPort);
                if (low > high) continue;
                const ports = protocol === 'icmp' ? '' : low === high ? ` ${low}` : ` ${low}-${high}`;
                out.add(`${this.names(from.groups)} → ${this.names(to.groups)}: ${protocol}${ports}`);
              }
            }
          }
        }
      }
    }
    return [...out].sort();
  }
}

/** A DB instance's `Port`, or its engine's default when unstated (PostgreSQL: 5432). */
function instancePort(instance: CfnResourceJson): number | undefined {
  const { Port, Engine } = props(instance);
  if (Port !== undefined) return Number(Port);
  return typeof Engine === 'string' && Engine.startsWith('postgres') ? 5432 : undefined;
}

function isId(id: string | undefined): id is string {
  return id !== undefined;
}
