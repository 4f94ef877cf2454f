import { render } from 'preact';
import { App } from './app';
import { setBureauTz } from './format';
import { locale } from './i18n';
import './app.css';

const tz = document.querySelector('meta[name="bce-tz"]')?.getAttribute('content');
if (tz) setBureauTz(tz);
document.documentElement.lang = locale();
render(<App />, document.getElementById('app')!);
