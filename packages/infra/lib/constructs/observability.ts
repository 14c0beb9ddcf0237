import { Duration, Fn, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IDistribution } from 'aws-cdk-lib/aws-cloudfront';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { DatabaseInstance } from 'aws-cdk-lib/aws-rds';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface ObservabilityProps {
  /** Dashboard name (the stack name). */
  readonly name: string;
  /** Every Herald function, by construct id. */
  readonly functions: ReadonlyMap<string, IFunction>;
  /** Work queues, by name (depth and age on the dashboard). */
  readonly queues: ReadonlyMap<string, IQueue>;
  /** Dead-letter queues, by name: any message in one is an alarm. */
  readonly deadLetterQueues: ReadonlyMap<string, IQueue>;
  readonly restApi: RestApi;
  readonly webSocket: { readonly api: WebSocketApi; readonly stage: WebSocketStage };
  readonly database: DatabaseInstance;
  /** The REST API's web ACL: its blocked and allowed requests are on the dashboard. */
  readonly webAcl: CfnWebACL;
  /** The downloads distribution, when there is one: its 4xx/5xx rates are on the dashboard. */
  readonly distribution?: IDistribution;
  /** Subscribe this address to alarms. @default - no subscription (subscribe after deploy) */
  readonly alarmEmail?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Alarms and the one dashboard. Alarms notify an SNS topic: any message in a dead-letter queue,
 * any Lambda error or throttle, any REST 5xx, WebSocket `$connect` integration failures, and
 * a burst of refused `$connect` attempts (an authorizer outage or someone probing).
 */
export class Observability extends Construct {
  readonly alarmTopic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    // Not encrypted: CloudWatch cannot publish to a topic under the AWS managed SNS key, and the
    // messages hold alarm names and states only.
    this.alarmTopic = new Topic(this, 'AlarmTopic', { displayName: 'Herald alarms', enforceSSL: true });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.alarmTopic);
    const alarm = (alarmId: string, metric: IMetric, threshold: number, description: string) => {
      const a = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
      return a;
    };

    for (const [name, queue] of props.deadLetterQueues) {
      alarm(
        `${name}Depth`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        1,
        `${name}: messages failed all retries; inspect them, fix the cause, redrive.`,
      );
    }
    // One alarm per function over both metrics, not one each: a CloudFormation stack holds at
    // most 500 resources, and two alarms per function were the largest share of this one's.
    for (const [name, fn] of props.functions) {
      alarm(
        `${name}ErrorsOrThrottles`,
        new MathExpression({
          expression: 'FILL(errors, 0) + FILL(throttles, 0)',
          usingMetrics: {
            errors: fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
            throttles: fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
          },
          period: FIVE_MINUTES,
          label: `${name} errors + throttles`,
        }),
        1,
        `${name} failed, or was throttled (account or reserved concurrency).`,
      );
    }
    const rest5xx = props.restApi.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' });
    alarm('RestApi5xx', rest5xx, 1, 'The REST API answered 5xx.');

    const ws = (metricName: string, route?: string) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: {
          ApiId: props.webSocket.api.apiId,
          Stage: props.webSocket.stage.stageName,
          ...(route && { Route: route }),
        },
        period: FIVE_MINUTES,
        statistic: 'Sum',
      });
    const connectFailures = new MathExpression({
      expression: 'FILL(integration, 0) + FILL(execution, 0)',
      usingMetrics: {
        integration: ws('IntegrationError', '$connect'),
        execution: ws('ExecutionError', '$connect'),
      },
      label: '$connect integration + execution errors',
      period: FIVE_MINUTES,
    });
    alarm(
      'WsConnectFailures',
      connectFailures,
      1,
      'WebSocket $connect failed on our side (authorizer or handler).',
    );
    alarm(
      'WsConnectRefusals',
      ws('ClientError', '$connect'),
      100,
      'Many WebSocket $connect attempts refused in 5 minutes: an expired-credential storm or probing.',
    );

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.name,
      defaultInterval: Duration.hours(3),
    });
    const fns = [...props.functions.values()];
    const graph = (title: string, metrics: IMetric[], width = 8) =>
      new GraphWidget({ title, left: metrics, width, height: 6 });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${props.name}\nAlarms go to the \`Herald alarms\` SNS topic. Runbook: docs/deploy.md.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('REST requests', [props.restApi.metricCount({ period: FIVE_MINUTES })]),
      graph('REST 4xx / 5xx', [
        props.restApi.metricClientError({ period: FIVE_MINUTES }),
        props.restApi.metricServerError({ period: FIVE_MINUTES }),
      ]),
      graph('REST latency p90', [props.restApi.metricLatency({ period: FIVE_MINUTES, statistic: 'p90' })]),
    );
    this.dashboard.addWidgets(
      graph('WebSocket connects / messages', [ws('ConnectCount'), ws('MessageCount')]),
      graph('WebSocket $connect errors', [ws('ClientError', '$connect'), connectFailures]),
      graph('WebSocket errors', [ws('IntegrationError'), ws('ExecutionError')]),
    );
    this.dashboard.addWidgets(
      graph(
        'Lambda errors',
        fns.map((f) => f.metricErrors({ period: FIVE_MINUTES })),
      ),
      graph(
        'Lambda throttles',
        fns.map((f) => f.metricThrottles({ period: FIVE_MINUTES })),
      ),
      graph(
        'Lambda duration p90',
        fns.map((f) => f.metricDuration({ period: FIVE_MINUTES, statistic: 'p90' })),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Queue depth',
        [...props.queues.values()].map((q) => q.metricApproximateNumberOfMessagesVisible()),
      ),
      graph(
        'Oldest message age (s)',
        [...props.queues.values()].map((q) => q.metricApproximateAgeOfOldestMessage()),
      ),
      graph(
        'Dead-letter queues',
        [...props.deadLetterQueues.values()].map((q) => q.metricApproximateNumberOfMessagesVisible()),
      ),
    );
    // The edge: WAF's verdicts (metrics per web ACL name, `Rule=ALL`) and CloudFront's error
    // rates, which CloudWatch keeps in us-east-1 under `Region=Global` whatever the stack's region.
    // https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/programming-cloudwatch-metrics.html
    const waf = (metricName: string) =>
      new Metric({
        namespace: 'AWS/WAFV2',
        metricName,
        // A web ACL's Ref is `name|id|scope`.
        dimensionsMap: {
          WebACL: Fn.select(0, Fn.split('|', props.webAcl.ref)),
          Region: Stack.of(this).region,
          Rule: 'ALL',
        },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      });
    const edge = [graph('WAF blocked / allowed (REST)', [waf('BlockedRequests'), waf('AllowedRequests')])];
    if (props.distribution) {
      const cdn = (metricName: string) =>
        new Metric({
          namespace: 'AWS/CloudFront',
          metricName,
          dimensionsMap: { DistributionId: props.distribution?.distributionId ?? '', Region: 'Global' },
          region: 'us-east-1',
          statistic: 'Average',
          period: FIVE_MINUTES,
        });
      edge.push(graph('Downloads 4xx / 5xx %', [cdn('4xxErrorRate'), cdn('5xxErrorRate')]));
    }
    this.dashboard.addWidgets(...edge);
    this.dashboard.addWidgets(
      graph('PostgreSQL CPU %', [props.database.metricCPUUtilization()]),
      graph('PostgreSQL connections', [props.database.metricDatabaseConnections()]),
      graph('PostgreSQL free storage', [props.database.metricFreeStorageSpace()]),
    );
  }
}
