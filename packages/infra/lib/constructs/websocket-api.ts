import type { HandlerRef, RouteTable } from '@herald/protocol';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  LogGroupLogDestination,
  WebSocketApi,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnSubscriptionFilter, LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ThrottleConfig } from '../config.ts';
import { acknowledge } from '../nag.ts';
import { addAccessLogStream } from './access-log-stream.ts';

export interface HeraldWebSocketApiProps {
  /** `ROUTES.ws.routeSelectionExpression`. */
  readonly routeSelectionExpression: string;
  readonly stageName: string;
  readonly throttle: ThrottleConfig;
  /** Throttling of `$connect` alone. */
  readonly connectThrottle: ThrottleConfig;
  /** Retention of the access log group (the bucket's lifecycle rule is the copy's retention). */
  readonly logRetention: RetentionDays;
  /**
   * The access log bucket: the stage's access logs also land there, under `websocket-api/`,
   * through a subscription filter on their log group and a Firehose stream.
   */
  readonly accessLogBucket: IBucket;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/** Routes API Gateway answers for itself: no route response (and `$connect` has the authorizer). */
const LIFECYCLE_ROUTES = new Set(['$connect', '$disconnect']);

/**
 * The WebSocket API, built from `ROUTES.ws` (see {@link HeraldWebSocketApi.addRoutes}, called
 * once the functions exist; they need the API's `@connections` endpoint first): the REQUEST
 * Lambda authorizer on `$connect`, one
 * Lambda integration per route, a `$default` route response on every message route (so the
 * frame a handler returns — `pong`, `error` — reaches the client), default and `$connect`
 * throttling, JSON access logs without query strings (a `?ticket=` never lands in a log), kept in
 * a log group and copied to the access log bucket.
 *
 * No WAF: AWS WAF cannot attach to a WebSocket API (docs/adr/004-websocket-edge-protection.md).
 */
export class HeraldWebSocketApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  /** The Firehose stream that carries the stage's access logs from their log group into the access log bucket. */
  readonly accessLogStream: CfnDeliveryStream;

  constructor(scope: Construct, id: string, props: HeraldWebSocketApiProps) {
    super(scope, id);
    this.api = new WebSocketApi(this, 'Api', {
      description: 'Herald WebSocket API (routes from ROUTES.ws in @herald/protocol)',
      routeSelectionExpression: props.routeSelectionExpression,
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName,
      autoDeploy: true,
      throttle: props.throttle,
      detailedMetricsEnabled: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            eventType: '$context.eventType',
            routeKey: '$context.routeKey',
            status: '$context.status',
            connectionId: '$context.connectionId',
            userId: '$context.authorizer.principalId',
            error: '$context.error.message',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integration.error',
            latency: '$context.integrationLatency',
          }),
        ),
      },
    });
    this.accessLogStream = this.forwardAccessLogs(accessLogs, props.accessLogBucket);
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    // Execution logs at ERROR, never message bodies.
    cfnStage.addPropertyOverride('DefaultRouteSettings.LoggingLevel', 'ERROR');
    cfnStage.addPropertyOverride('DefaultRouteSettings.DataTraceEnabled', false);
    // Every connection attempt runs the authorizer: cap the rate of $connect on its own.
    cfnStage.routeSettings = {
      $connect: {
        ThrottlingRateLimit: props.connectThrottle.rateLimit,
        ThrottlingBurstLimit: props.connectThrottle.burstLimit,
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
        DetailedMetricsEnabled: true,
      },
    };
  }

  /**
   * API Gateway writes a WebSocket stage's access logs to CloudWatch Logs only
   * (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-logging.html), so
   * a subscription filter (every event) sends them on to a Firehose stream into the access log
   * bucket. CloudWatch Logs sends gzip-compressed batches in a JSON envelope; Firehose's own
   * CloudWatch Logs processors unpack them, keep only the log messages (our JSON lines) and end
   * each record with a newline
   * (https://docs.aws.amazon.com/firehose/latest/dev/writing-with-cloudwatch-logs.html), and the
   * stream compresses the objects again. A stream with decompression on must take CloudWatch Logs
   * subscriptions only (same page), which is all this one takes.
   */
  private forwardAccessLogs(logGroup: LogGroup, bucket: IBucket): CfnDeliveryStream {
    const stream = addAccessLogStream(this, {
      bucket,
      prefix: 'websocket-api',
      processors: [
        {
          type: 'Decompression',
          parameters: [{ parameterName: 'CompressionFormat', parameterValue: 'GZIP' }],
        },
        {
          type: 'CloudWatchLogProcessing',
          parameters: [{ parameterName: 'DataMessageExtraction', parameterValue: 'true' }],
        },
        { type: 'AppendDelimiterToRecord' },
      ],
    });
    // The role CloudWatch Logs assumes to put records, as the CloudWatch Logs guide sets it up
    // for a Firehose subscription: trusted by logs.amazonaws.com for this account and region only.
    const role = new Role(this, 'AccessLogSubscriptionRole', {
      assumedBy: new ServicePrincipal('logs.amazonaws.com', {
        conditions: {
          StringLike: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'logs', resource: '*' }) },
        },
      }),
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [stream.attrArn],
      }),
    );
    const filter = new CfnSubscriptionFilter(this, 'AccessLogSubscription', {
      logGroupName: logGroup.logGroupName,
      filterPattern: '',
      destinationArn: stream.attrArn,
      roleArn: role.roleArn,
    });
    // CloudWatch Logs tries the destination when the filter is created: the role's policy first.
    filter.node.addDependency(role);
    return stream;
  }

  /** Adds the routes of `ROUTES.ws`, each to its handler's function, and the `$connect` authorizer. */
  addRoutes(routes: RouteTable['ws'], functionFor: (ref: HandlerRef) => IFunction): void {
    const authorizer = new WebSocketLambdaAuthorizer('ConnectAuthorizer', functionFor(routes.authorizer), {
      identitySource: [...routes.identitySource],
    });
    for (const route of routes.routes) {
      const name = route.routeKey.replace(/[^A-Za-z0-9]/g, '') || 'Route';
      const wsRoute = this.api.addRoute(route.routeKey, {
        integration: new WebSocketLambdaIntegration(`${name}Integration`, functionFor(route.handler)),
        ...(route.routeKey === '$connect' && { authorizer }),
        returnResponse: !LIFECYCLE_ROUTES.has(route.routeKey),
      });
      // Stage route settings may only name routes that exist.
      this.stage.node.addDependency(wsRoute);
      if (route.routeKey !== '$connect') {
        acknowledge(
          wsRoute,
          'AwsSolutions-APIG4',
          'WebSocket APIs authorize only $connect; every later message travels on that authenticated ' +
            'connection (API Gateway allows no authorizer on other routes).',
        );
      }
    }
  }

  /** `wss://…/<stage>`: what clients connect to. */
  get url(): string {
    return this.stage.url;
  }

  /** `https://…/<stage>`: the `@connections` Management API endpoint publishers post to. */
  get managementEndpoint(): string {
    return this.stage.callbackUrl;
  }

  /**
   * What a publisher needs: `execute-api:ManageConnections` on `POST @connections/*` of this stage
   * only. Connection ids are runtime values, hence the one wildcard.
   */
  postToConnectionsStatement(): PolicyStatement {
    return new PolicyStatement({
      actions: ['execute-api:ManageConnections'],
      resources: [
        Stack.of(this).formatArn({
          service: 'execute-api',
          resource: this.api.apiId,
          resourceName: `${this.stage.stageName}/POST/@connections/*`,
        }),
      ],
    });
  }
}
