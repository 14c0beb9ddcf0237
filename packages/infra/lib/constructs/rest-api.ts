import * as protocol from '@herald/protocol';
import {
  ERROR_CODES,
  type ErrorCode,
  type HandlerRef,
  type RestRoute,
  type RouteTable,
} from '@herald/protocol';
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  Cors,
  EndpointType,
  FirehoseLogDestination,
  type IModel,
  type JsonSchema,
  LambdaIntegration,
  type Method,
  MethodLoggingLevel,
  type RequestValidator,
  type Resource,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { ThrottleConfig } from '../config.ts';
import { acknowledge } from '../nag.ts';
import { addAccessLogStream } from './access-log-stream.ts';

/** The JSON body model of a route: its schema as JSON Schema, and the protocol export it comes from. */
export interface RequestBodyModel {
  /** The `@herald/protocol` export of the schema, e.g. `CreateUploadRequestSchema`. */
  readonly exportName: string;
  /** JSON Schema draft 4, the dialect API Gateway models speak. */
  readonly schema: Record<string, unknown>;
}

/**
 * What API Gateway validates a route's JSON body against before a Lambda runs: the request body
 * schema of the route's contract, converted to JSON Schema draft 4 without its descriptions. The handler validates again
 * with the same schema (it imports it from `@herald/protocol`); the gateway check only keeps
 * garbage off Lambda. `undefined` for a route without a body; throws for a body schema
 * `@herald/protocol` does not export, since a handler could not parse with it.
 *
 * @example
 * requestBodyModel(ROUTES.http.createUpload)?.exportName; // 'CreateUploadRequestSchema'
 */
export function requestBodyModel(route: RestRoute): RequestBodyModel | undefined {
  const body = route.request.body;
  if (body === undefined) return undefined;
  const exportName = Object.entries(protocol).find(([, value]) => value === body)?.[0];
  if (exportName === undefined) {
    throw new Error(
      `${route.name} (${route.method} ${route.path}): its request body schema is not an export of @herald/protocol`,
    );
  }
  const schema = body.toJSONSchema({
    target: 'draft-04',
    // A model only validates; the API reference (docs/api) documents. Without the schemas'
    // descriptions, rewording a doc does not change the model, hence not the REST API deployment.
    override: ({ jsonSchema }) => {
      delete jsonSchema.description;
    },
  });
  return { exportName, schema };
}

export interface HeraldRestApiProps {
  /** The REST route contracts, by name (`ROUTES.http`). */
  readonly routes: RouteTable['http'];
  /** The function serving a handler (created once per handler by the stack). */
  readonly functionFor: (ref: HandlerRef) => IFunction;
  readonly userPool: IUserPool;
  readonly stageName: string;
  readonly throttle: ThrottleConfig;
  /** Browser origins for CORS; none means no CORS preflight. */
  readonly allowedOrigins: readonly string[];
  /** WAF rate rule: requests per client IP per 5 minutes. */
  readonly wafRateLimitPer5Min: number;
  readonly logRetention: RetentionDays;
  /**
   * The access log bucket (its lifecycle rule is the retention): the stage's access logs land
   * under `rest-api/` through a Firehose stream.
   */
  readonly accessLogBucket: IBucket;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/** Gateway responses in the Herald error envelope, so clients parse one error shape everywhere. */
const GATEWAY_ERRORS: readonly [ResponseType, ErrorCode, string?, keepStatus?: true][] = [
  [
    ResponseType.UNAUTHORIZED,
    'UNAUTHENTICATED',
    'The access token is missing, invalid or expired; sign in again.',
  ],
  [ResponseType.ACCESS_DENIED, 'FORBIDDEN'],
  // API Gateway answers an unknown path or method with 403 "Missing Authentication Token"; the
  // local gateway answers 404 ROUTE_NOT_FOUND, and so does this.
  [ResponseType.MISSING_AUTHENTICATION_TOKEN, 'ROUTE_NOT_FOUND'],
  [ResponseType.BAD_REQUEST_BODY, 'VALIDATION_FAILED'],
  [ResponseType.BAD_REQUEST_PARAMETERS, 'VALIDATION_FAILED'],
  [ResponseType.REQUEST_TOO_LARGE, 'PAYLOAD_TOO_LARGE'],
  [ResponseType.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_MEDIA_TYPE'],
  [ResponseType.THROTTLED, 'RATE_LIMITED'],
  [ResponseType.WAF_FILTERED, 'FORBIDDEN'],
  // API Gateway stopped waiting for the Lambda (its 29 s integration timeout).
  [ResponseType.INTEGRATION_TIMEOUT, 'UPSTREAM_TIMEOUT'],
  // A Lambda that threw, timed out or returned a malformed result (502), and any other 5xx: the
  // envelope a client reads, never API Gateway's bare `{"message": …}`.
  [ResponseType.DEFAULT_5XX, 'INTERNAL', undefined, true],
];

/**
 * The CORS headers of the gateway responses. A proxy integration's response carries the
 * handler's own CORS headers; what API Gateway answers by itself carries these. A mapping is
 * static or copies a request header, it cannot test the origin against a list: one allowed
 * origin is stated; several echo the request's `Origin` (these bodies are fixed error envelopes,
 * never user data); none sends no CORS header (the browser refuses, as it should).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html
 */
export function gatewayCorsHeaders(allowedOrigins: readonly string[]): Record<string, string> {
  if (allowedOrigins.length === 0) return {};
  return {
    'Access-Control-Allow-Origin':
      allowedOrigins.length === 1 ? `'${allowedOrigins[0]}'` : 'method.request.header.Origin',
    Vary: "'Origin'",
  };
}

/** `GET /jobs/{id}` → `GetJobsId`: stable construct ids for per-route models (never the route's name: renaming a route must not replace resources). */
function routeId(route: RestRoute): string {
  const words = `${route.method} ${route.path}`.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return words.map((w) => w[0]?.toUpperCase() + w.slice(1)).join('');
}

/**
 * The REST API, built from the shared route table: one Lambda proxy integration per route, the
 * Cognito user-pool authorizer on every `auth: 'cognito'` route, required path parameters and
 * JSON bodies validated, stage throttling, JSON access logs, X-Ray, execution logs at ERROR (no
 * bodies, no tokens), and a WAF web ACL (AWS managed rule groups + a per-IP rate rule).
 */
export class HeraldRestApi extends Construct {
  readonly api: RestApi;
  readonly webAcl: CfnWebACL;
  readonly authorizer: CognitoUserPoolsAuthorizer;
  /** The Firehose stream that carries the stage's access logs into the access log bucket. */
  readonly accessLogStream: CfnDeliveryStream;

  constructor(scope: Construct, id: string, props: HeraldRestApiProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    // API Gateway delivers a REST stage's access logs to CloudWatch Logs or to a Firehose stream
    // named `amazon-apigateway-*`, never to S3 directly; the stream puts them next to the
    // buckets' and the distribution's logs.
    this.accessLogStream = addAccessLogStream(this, {
      bucket: props.accessLogBucket,
      prefix: 'rest-api',
      deliveryStreamName: `amazon-apigateway-${this.node.addr}`,
    });
    this.api = new RestApi(this, 'Api', {
      description: 'Herald REST API (routes from ROUTES in @herald/protocol)',
      endpointTypes: [EndpointType.REGIONAL],
      // The account-level role API Gateway uses to write execution and access logs.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
        accessLogDestination: new FirehoseLogDestination(this.accessLogStream),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
      },
      ...(props.allowedOrigins.length > 0 && {
        defaultCorsPreflightOptions: {
          allowOrigins: [...props.allowedOrigins],
          allowMethods: Cors.ALL_METHODS,
          allowHeaders: Cors.DEFAULT_HEADERS,
          maxAge: undefined,
        },
      }),
    });
    acknowledge(
      this.api,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-level API Gateway logging role: AWS maintains exactly the log-delivery permissions in this ' +
        'managed policy, and API Gateway requires it for access and execution logs.',
    );

    const cors = gatewayCorsHeaders(props.allowedOrigins);
    for (const [type, code, message, keepStatus] of GATEWAY_ERRORS) {
      this.api.addGatewayResponse(`Gateway${type.responseType}`, {
        type,
        // A DEFAULT_* response keeps the status of what it answers for (502, 504, …).
        ...(!keepStatus && { statusCode: String(ERROR_CODES[code].status) }),
        ...(Object.keys(cors).length > 0 && { responseHeaders: cors }),
        templates: {
          'application/json': JSON.stringify({ code, message: message ?? ERROR_CODES[code].message }),
        },
      });
    }

    this.authorizer = new CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: 'method.request.header.Authorization',
    });
    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    for (const route of Object.values(props.routes)) this.addRoute(route, props, validator);

    // CORS preflights are answered by a MOCK integration and must be unauthenticated: browsers
    // send no credentials on a preflight.
    for (const method of this.api.methods) {
      if (method.httpMethod !== 'OPTIONS') continue;
      acknowledge(
        method,
        'AwsSolutions-APIG4',
        'CORS preflight (MOCK integration, no data): browsers send no credentials.',
      );
      acknowledge(
        method,
        'AwsSolutions-COG4',
        'CORS preflight (MOCK integration, no data): browsers send no credentials.',
      );
    }

    this.webAcl = this.createWebAcl(props, removalPolicy);
    new CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }

  /** The stage's invoke URL, ending in `/`. */
  get url(): string {
    return this.api.url;
  }

  private resourceFor(path: string): Resource {
    let resource = this.api.root;
    for (const part of path.split('/').filter(Boolean))
      resource = resource.getResource(part) ?? resource.addResource(part);
    return resource as Resource;
  }

  private addRoute(route: RestRoute, props: HeraldRestApiProps, validator: RequestValidator): Method {
    const resource = this.resourceFor(route.path);
    const pathParams = [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1] as string);
    const key = `${route.method} ${route.path}`;
    const body = requestBodyModel(route);
    let models: Record<string, IModel> | undefined;
    if (body !== undefined) {
      const model = this.api.addModel(`${routeId(route)}Body`, {
        contentType: 'application/json',
        description: `${key} body (${body.exportName} in @herald/protocol)`,
        // Already JSON Schema draft 4: CDK passes keys it does not map through unchanged.
        schema: body.schema as JsonSchema,
      });
      models = { 'application/json': model };
    }
    const method = resource.addMethod(
      route.method,
      new LambdaIntegration(props.functionFor(route.handler), { proxy: true, allowTestInvoke: false }),
      {
        ...(route.auth === 'cognito'
          ? { authorizer: this.authorizer, authorizationType: AuthorizationType.COGNITO }
          : { authorizationType: AuthorizationType.NONE }),
        requestValidator: validator,
        requestParameters: Object.fromEntries(pathParams.map((p) => [`method.request.path.${p}`, true])),
        ...(models && { requestModels: models }),
      },
    );
    if (route.auth === 'none') {
      const reason = `${key} is declared auth: 'none' in ROUTES (deny by default; reserved for routes without user data).`;
      acknowledge(method, 'AwsSolutions-APIG4', reason);
      acknowledge(method, 'AwsSolutions-COG4', reason);
    }
    return method;
  }

  private createWebAcl(props: HeraldRestApiProps, removalPolicy: RemovalPolicy): CfnWebACL {
    const metric = (name: string) => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `Herald${name}`,
    });
    const managed = (name: string, priority: number) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: metric(name),
    });
    const acl = new CfnWebACL(this, 'WebAcl', {
      description: 'Herald REST API: AWS managed rule groups and a per-IP rate limit',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: metric('RestApiWebAcl'),
      rules: [
        {
          name: 'RatePerIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: props.wafRateLimitPer5Min, aggregateKeyType: 'IP' } },
          visibilityConfig: metric('RatePerIp'),
        },
        managed('AWSManagedRulesAmazonIpReputationList', 1),
        managed('AWSManagedRulesCommonRuleSet', 2),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 3),
      ],
    });
    // WAF requires log groups named aws-waf-logs-*.
    const logs = new LogGroup(this, 'WafLogs', {
      logGroupName: `aws-waf-logs-${this.node.addr}`,
      retention: props.logRetention,
      removalPolicy,
    });
    new CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: acl.attrArn,
      // WAF wants the log group ARN without the `:*` suffix CloudFormation's Arn attribute has.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logs.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      // Never log the bearer token.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }],
    });
    return acl;
  }
}
