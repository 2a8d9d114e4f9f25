import { render } from 'preact';
import { loadConfig } from './api.ts';
import { App } from './app.tsx';
import './styles.css';

const root = document.getElementById('app');
// Where the API is (same origin locally, API Gateway on AWS), before the first call.
if (root) loadConfig().then(() => render(<App />, root));
