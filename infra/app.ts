import { createRapportApp } from './rapport-app.ts';

createRapportApp().app.synth();
