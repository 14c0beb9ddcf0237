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
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ThrottleConfig } from '../config.ts';
import { acknowledge } from '../nag.ts';

export interface HeraldWebSocketApiProps {
  /** `ROUTES.ws.routeSelectionExpression`. */
  readonly routeSelectionExpression: string;
  readonly stageName: string;
  readonly throttle: ThrottleConfig;
  /** Throttling of `$connect` alone. */
  readonly connectThrottle: ThrottleConfig;
  readonly logRetention: RetentionDays;
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
 * throttling, JSON access logs without query strings (a `?ticket=` never lands in a log).
 *
 * No WAF: AWS WAF cannot attach to a WebSocket API (docs/adr/004-websocket-edge-protection.md).
 */
export class HeraldWebSocketApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;

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
