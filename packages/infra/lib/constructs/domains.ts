import {
  BasePathMapping,
  DomainName,
  EndpointType,
  type RestApi,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigateway';
import {
  ApiMapping,
  type WebSocketApi,
  type WebSocketStage,
  DomainName as WsDomainName,
  SecurityPolicy as WsSecurityPolicy,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import type { Distribution } from 'aws-cdk-lib/aws-cloudfront';
import { AaaaRecord, ARecord, type IHostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import {
  ApiGatewayDomain,
  ApiGatewayv2DomainProperties,
  CloudFrontTarget,
} from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

/** The names an environment answers on under its domain. */
export function domainNames(name: string): {
  readonly api: string;
  readonly ws: string;
  readonly files: string;
} {
  return { api: `api.${name}`, ws: `ws.${name}`, files: `files.${name}` };
}

export interface DomainsProps {
  /** The parent name (`herald.example.com`). */
  readonly name: string;
  /** Where certificates are validated and aliases created; undefined: DNS is managed elsewhere. */
  readonly zone: IHostedZone | undefined;
  readonly restApi: RestApi;
  readonly webSocket: { readonly api: WebSocketApi; readonly stage: WebSocketStage };
  /** The stage names, kept as the first path segment (`https://api.<name>/v1/…`), as on `execute-api`. */
  readonly restStageName: string;
  readonly webSocketStageName: string;
  /** The downloads distribution (already created with `files.<name>` and its us-east-1 certificate). */
  readonly distribution?: Distribution;
}

/**
 * Custom domain names of the APIs: one regional ACM certificate for `api.<name>` and `ws.<name>`
 * validated through DNS, an API Gateway custom domain for each (REST and WebSocket APIs cannot
 * share one), TLS 1.2, base path / API mappings keeping the stage as the first path segment, and
 * Route 53 aliases (A, and AAAA for CloudFront) when the hosted zone is known. The `execute-api`
 * endpoints keep answering: the Lambdas post to `@connections` there.
 *
 * - https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-regional-api-custom-domain-create.html
 * - https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-mappings.html
 *
 * @example
 * const domains = new Domains(this, 'Domains', { name: 'herald.example.com', zone, restApi, webSocket, restStageName: 'v1', webSocketStageName: 'v1' });
 * domains.restUrl; // 'https://api.herald.example.com/v1/'
 */
export class Domains extends Construct {
  readonly certificate: Certificate;
  readonly rest: DomainName;
  readonly webSocket: WsDomainName;
  /** `https://api.<name>/<stage>/`: the SDK's `baseUrl`. */
  readonly restUrl: string;
  /** `wss://ws.<name>/<stage>`: the SDK's `wsUrl`. */
  readonly webSocketUrl: string;

  constructor(scope: Construct, id: string, props: DomainsProps) {
    super(scope, id);
    const names = domainNames(props.name);
    this.certificate = new Certificate(this, 'Certificate', {
      domainName: names.api,
      subjectAlternativeNames: [names.ws],
      validation: props.zone ? CertificateValidation.fromDns(props.zone) : CertificateValidation.fromDns(),
    });

    this.rest = new DomainName(this, 'Rest', {
      domainName: names.api,
      certificate: this.certificate,
      endpointType: EndpointType.REGIONAL,
      securityPolicy: SecurityPolicy.TLS_1_2,
    });
    new BasePathMapping(this, 'RestMapping', {
      domainName: this.rest,
      restApi: props.restApi,
      stage: props.restApi.deploymentStage,
      basePath: props.restStageName,
    });

    this.webSocket = new WsDomainName(this, 'WebSocket', {
      domainName: names.ws,
      certificate: this.certificate,
      securityPolicy: WsSecurityPolicy.TLS_1_2,
    });
    new ApiMapping(this, 'WebSocketMapping', {
      api: props.webSocket.api,
      domainName: this.webSocket,
      stage: props.webSocket.stage,
      apiMappingKey: props.webSocketStageName,
    });

    this.restUrl = `https://${names.api}/${props.restStageName}/`;
    this.webSocketUrl = `wss://${names.ws}/${props.webSocketStageName}`;

    if (props.zone) {
      const zone = props.zone;
      new ARecord(this, 'RestAlias', {
        zone,
        recordName: names.api,
        target: RecordTarget.fromAlias(new ApiGatewayDomain(this.rest)),
      });
      new ARecord(this, 'WebSocketAlias', {
        zone,
        recordName: names.ws,
        target: RecordTarget.fromAlias(
          new ApiGatewayv2DomainProperties(
            this.webSocket.regionalDomainName,
            this.webSocket.regionalHostedZoneId,
          ),
        ),
      });
      if (props.distribution) {
        const target = RecordTarget.fromAlias(new CloudFrontTarget(props.distribution));
        new ARecord(this, 'FilesAlias', { zone, recordName: names.files, target });
        new AaaaRecord(this, 'FilesAliasIpv6', { zone, recordName: names.files, target });
      }
    }
  }
}
