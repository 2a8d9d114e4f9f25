import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RapportStack } from './rapport-stack.ts';

/**
 * The app as `cdk synth` builds it, cdk-nag included, so the infra tests check exactly what ships.
 * Acknowledgements live next to the resources they excuse, never here.
 */
export function createRapportApp(props?: AppProps): { app: App; stack: RapportStack } {
  const app = new App(props);
  const stack = new RapportStack(app, 'Rapport', {
    description: 'Rapport: webhooks in, one customer record, tiers, points, segments and the right email out',
  });
  Tags.of(app).add('project', 'rapport');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
