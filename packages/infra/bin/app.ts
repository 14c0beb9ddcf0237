import { App } from 'aws-cdk-lib';
import { addHeraldStack } from '../lib/app.ts';

// `cdk synth -c env=prod` (default dev). Options: docs/deploy.md.
const app = new App();
addHeraldStack(app);
app.synth();
