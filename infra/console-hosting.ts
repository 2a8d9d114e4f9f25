import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  Annotations,
  BOOTSTRAP_QUALIFIER_CONTEXT,
  DefaultStackSynthesizer,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { CorsHttpMethod, type CorsPreflightOptions } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AccessLevel,
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as EdgeFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  type IOrigin,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { API_CORS } from './api-cors.ts';
import { repoRoot } from './rapport-function.ts';

/** Where `npm run build:console` writes the console (console/vite.config.ts). */
export const builtConsoleDir = path.join(repoRoot, 'console', 'dist');
/** Where `npm run build:widget` writes the storefront widget (widget/vite.config.ts). */
export const builtWidgetDir = path.join(repoRoot, 'widget', 'dist');
/** The widget's files are under this prefix of the bucket and the distribution, as the local runtime serves them. */
export const WIDGET_KEY_PREFIX = 'widget/';

/**
 * What the console's page may do — the local runtime's policy (infra/local/http-adapter.ts) with the
 * API's origin added to connect-src, since on AWS the API is not the page's origin: own scripts only;
 * inline styles (Observable Plot writes style attributes, and a previewed email, in a sandboxed
 * srcdoc frame that inherits this policy, is styled inline); images from anywhere (an email's
 * product pictures).
 */
export function consoleContentSecurityPolicy(apiOrigin?: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    'img-src * data:',
    ['connect-src', "'self'", ...(apiOrigin ? [apiOrigin] : [])].join(' '),
    "frame-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** The HTTP API's CORS for API Gateway: infra/api-cors.ts says what it allows and why. */
export const consoleCors: CorsPreflightOptions = {
  allowOrigins: [...API_CORS.allowOrigins],
  allowMethods: API_CORS.allowMethods.map((method) => CorsHttpMethod[method]),
  allowHeaders: [...API_CORS.allowHeaders],
  exposeHeaders: [...API_CORS.exposeHeaders],
  allowCredentials: false,
  maxAge: Duration.seconds(API_CORS.maxAgeSeconds),
};

/**
 * Paths without a dot in their last segment are the console's own routes (/customers/c_…): they get
 * index.html, as the local runtime answers them, so a reload or a shared link works. Anything with a
 * dot is a file and is looked up as itself, so a missing file is a 404, not a page.
 */
export const spaRewriteCode = `function handler(event) {
  var request = event.request;
  var last = request.uri.slice(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) request.uri = '/index.html';
  return request;
}
`;

export interface ConsoleHostingProps {
  /** The built console; its config.json (`{}` for the local runtime) is replaced by the generated one. */
  readonly consoleDir: string;
  /** The API the console calls, without a trailing slash: written to /config.json and allowed in connect-src. */
  readonly apiUrl: string;
  /** The built storefront widget (default widget/dist), served at /widget/*. */
  readonly widgetDir?: string;
}

/**
 * The merchant console on AWS: the built single-page app in a private bucket, served by CloudFront
 * (Origin Access Control, HTTPS only, security headers), with a generated /config.json that tells
 * the console where the API is. The storefront widget's script is served by the same distribution
 * at /widget/rapport-loyalty.js, for shops' pages on any origin.
 */
export class ConsoleHosting extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  readonly spaRewrite: EdgeFunction;
  readonly pageHeaders: ResponseHeadersPolicy;
  readonly assetHeaders: ResponseHeadersPolicy;
  readonly widgetHeaders: ResponseHeadersPolicy;
  readonly deployment: BucketDeployment;
  readonly widgetDeployment: BucketDeployment;
  readonly deploymentRole: Role;
  /** https://… of the distribution, no trailing slash. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    if (!existsSync(path.join(props.consoleDir, 'index.html'))) {
      throw new Error(
        `The console is not built: ${path.join(props.consoleDir, 'index.html')} does not exist. Run \`npm run build:console\` first (\`npm run synth\` and \`npm run deploy\` do).`,
      );
    }
    const widgetDir = props.widgetDir ?? builtWidgetDir;
    if (!existsSync(path.join(widgetDir, 'rapport-loyalty.js'))) {
      throw new Error(
        `The storefront widget is not built: ${path.join(widgetDir, 'rapport-loyalty.js')} does not exist. Run \`npm run build:widget\` first (\`npm run synth\` and \`npm run deploy\` do).`,
      );
    }

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // Nothing here but the build output, which the next deploy puts back; the deployment empties
      // the bucket when the stack goes (retainOnDelete below), so it can be deleted.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "The bucket holds only the console's public build output: it is read only by this distribution (Origin Access Control) and written only by the deployment, and the data the console shows goes through the API, whose access log records every call.",
    });

    // LIST as well as READ: without s3:ListBucket, S3 answers a missing file with 403, which the
    // browser would see as "forbidden" instead of 404. Listing itself is unreachable through the
    // distribution: every path names an object (the rewrite turns `/` into /index.html).
    const origin: IOrigin = S3BucketOrigin.withOriginAccessControl(this.bucket, {
      originAccessLevels: [AccessLevel.READ, AccessLevel.LIST],
    });

    const security = {
      contentSecurityPolicy: { contentSecurityPolicy: consoleContentSecurityPolicy(props.apiUrl), override: true },
      strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
      // Console URLs carry customer ids and searches by email or phone (/customers?q=…); a previewed
      // email's images must not receive them.
      referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
    };
    const cacheControl = (value: string) => ({ customHeaders: [{ header: 'Cache-Control', value, override: true }] });
    // index.html names the current hashed assets and config.json the API: browsers ask again every
    // time (a 304 when unchanged); CloudFront keeps them until the deployment invalidates them.
    this.pageHeaders = new ResponseHeadersPolicy(this, 'PageHeaders', {
      comment: 'Rapport console pages: security headers, revalidated on every load',
      securityHeadersBehavior: security,
      customHeadersBehavior: cacheControl('no-cache'),
    });
    // Vite names every file under assets/ by its content hash: a changed file is a new name.
    this.assetHeaders = new ResponseHeadersPolicy(this, 'AssetHeaders', {
      comment: 'Rapport console hashed assets: security headers, cached for a year',
      securityHeadersBehavior: security,
      customHeadersBehavior: cacheControl('public, max-age=31536000, immutable'),
    });

    // The widget's script is loaded by shops' pages, other origins: a classic <script> needs no
    // CORS, but a page loading it with `crossorigin` does, and one with Cross-Origin-Embedder-Policy
    // needs Cross-Origin-Resource-Policy. Its name has no content hash: browsers keep it an hour,
    // CloudFront until the deployment invalidates /widget/*.
    this.widgetHeaders = new ResponseHeadersPolicy(this, 'WidgetHeaders', {
      comment: 'Rapport storefront widget: usable from any origin, cached for an hour',
      securityHeadersBehavior: security,
      corsBehavior: {
        accessControlAllowOrigins: ['*'],
        accessControlAllowMethods: ['GET', 'HEAD'],
        accessControlAllowHeaders: ['*'],
        accessControlAllowCredentials: false,
        originOverride: true,
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Cache-Control', value: 'public, max-age=3600', override: true },
          { header: 'Cross-Origin-Resource-Policy', value: 'cross-origin', override: true },
        ],
      },
    });

    this.spaRewrite = new EdgeFunction(this, 'SpaRewrite', {
      comment: "Rapport console: the app's routes load index.html",
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(spaRewriteCode),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Rapport merchant console',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.pageHeaders,
        functionAssociations: [{ function: this.spaRewrite, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        '/assets/*': {
          origin,
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: CachePolicy.CACHING_OPTIMIZED,
          responseHeadersPolicy: this.assetHeaders,
        },
        [`/${WIDGET_KEY_PREFIX}*`]: {
          origin,
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: CachePolicy.CACHING_OPTIMIZED,
          responseHeadersPolicy: this.widgetHeaders,
        },
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}`;
    Annotations.of(this.distribution).acknowledgeWarning(
      '@aws-cdk/aws-cloudfront-origins:listBucketSecurityRisk',
      'The root is index.html (defaultRootObject), and the rewrite sends every path without a dot there, so no request reaches the bucket as a listing.',
    );
    const acknowledge = (id: string, reason: string) => Validations.of(this.distribution).acknowledge({ id, reason });
    acknowledge(
      'AwsSolutions-CFR1',
      'Shops and their staff sign in from anywhere; the console is static files and every call it makes is authenticated by the API, so there is no country to keep out.',
    );
    acknowledge(
      'AwsSolutions-CFR2',
      'The distribution serves only static files from S3 (GET and HEAD, no origin compute, no forms): a WAF web ACL would have nothing to inspect, and CloudFront has Shield Standard; the API authenticates and throttles every call itself.',
    );
    acknowledge(
      'AwsSolutions-CFR3',
      "Requests for the console's static files carry no data (the app routes are all index.html); the API's access log records every call that reads or changes data.",
    );
    acknowledge(
      'AwsSolutions-CFR4',
      "The distribution uses CloudFront's default *.cloudfront.net certificate, for which CloudFront does not let the minimum viewer TLS version be chosen; a custom domain with an ACM certificate would allow TLSv1.2_2021.",
    );

    // An own role instead of the default one, whose managed AWSLambdaBasicExecutionRole may create
    // and write any log group of the account; this one writes to its own group only.
    this.deploymentRole = new Role(this, 'DeploymentRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Rapport console deployment: copies the built console to its bucket and invalidates the distribution',
    });
    const deploymentLogs = new LogGroup(this, 'DeploymentLogs', { retention: RetentionDays.ONE_MONTH });
    deploymentLogs.grantWrite(this.deploymentRole);

    this.deployment = new BucketDeployment(this, 'Deployment', {
      sources: [
        Source.asset(props.consoleDir, { exclude: ['config.json'] }),
        // Read once by the console at start (console/src/api.ts).
        Source.jsonData('config.json', { apiUrl: props.apiUrl }),
      ],
      destinationBucket: this.bucket,
      prune: true,
      // The widget's files are the other deployment's: this one's sync neither prunes nor writes them.
      exclude: [`${WIDGET_KEY_PREFIX}*`],
      retainOnDelete: false,
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.json'],
      role: this.deploymentRole,
      logGroup: deploymentLogs,
    });
    // The widget under its prefix: its sync (and pruning) stays inside widget/, so the console's
    // files are never touched by it. The same function and role as the console's.
    this.widgetDeployment = new BucketDeployment(this, 'WidgetDeployment', {
      sources: [Source.asset(widgetDir)],
      destinationBucket: this.bucket,
      destinationKeyPrefix: WIDGET_KEY_PREFIX,
      prune: true,
      retainOnDelete: false,
      distribution: this.distribution,
      distributionPaths: [`/${WIDGET_KEY_PREFIX}*`],
      role: this.deploymentRole,
      logGroup: deploymentLogs,
    });
    // The deployment function and the grants below are BucketDeployment's (aws-cdk-lib): they run the
    // AWS CLI's `s3 sync` and only during a CloudFormation deployment; the role serves nothing else.
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    const acknowledgeGrant = (finding: string, reason: string) =>
      Validations.of(this.deploymentRole).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    const syncReads =
      "BucketDeployment's read grants: `s3 sync` reads and lists the console's build from the CDK asset bucket and compares it with the console bucket; the deployment function alone has this role.";
    acknowledgeGrant('Action::s3:GetObject*', syncReads);
    acknowledgeGrant('Action::s3:GetBucket*', syncReads);
    acknowledgeGrant('Action::s3:List*', syncReads);
    const qualifier = this.node.tryGetContext(BOOTSTRAP_QUALIFIER_CONTEXT) ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    acknowledgeGrant(
      `Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*`,
      "Read only, on the CDK bootstrap asset bucket, where the console's build and config.json are uploaded under content-hash keys for the deployment to copy.",
    );
    acknowledgeGrant(
      'Action::s3:DeleteObject*',
      'prune: files of an earlier build that the new one no longer has are deleted, in the console bucket only (its grantReadWrite).',
    );
    acknowledgeGrant(
      'Action::s3:Abort*',
      'An interrupted multipart upload of a console file is aborted, in the console bucket only (its grantReadWrite).',
    );
    acknowledgeGrant(
      `Resource::<${bucketId}.Arn>/*`,
      'The deployment owns every object of the console bucket: it writes the whole build and deletes what the build no longer has.',
    );
    acknowledgeGrant(
      'Resource::*',
      'cloudfront:CreateInvalidation and GetInvalidation, which BucketDeployment grants without a resource (it invalidates /index.html and /config.json after copying); nothing else in the role is unscoped.',
    );
    const deploymentFunction = Stack.of(this).node.children.find(
      (child): child is LambdaFunction => child instanceof LambdaFunction && child.role === this.deploymentRole,
    );
    if (!deploymentFunction) throw new Error("BucketDeployment's function was not found beside the stack's other constructs");
    Validations.of(deploymentFunction).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        "The runtime is BucketDeployment's own (aws-cdk-lib), chosen with the AWS CLI layer it runs; it moves with aws-cdk-lib upgrades, and the function runs only during deployments.",
    });
  }
}
