import { render } from 'preact';
import { App } from './app.tsx';
import { languageOf } from './i18n.ts';
import { STYLES } from './styles.ts';

/**
 * `<rapport-loyalty>`: the storefront loyalty widget, one script tag (README docs/STOREFRONT.md).
 * Attributes: api, shop, customer, link, lang, mode (launcher | page). It renders into its own
 * shadow root, so the shop's styles and the widget's do not meet; a changed attribute re-renders.
 */

// Known only while this script first runs: where it was loaded from is where the API is, by default.
const scriptOrigin = (() => {
  const src = document.currentScript instanceof HTMLScriptElement ? document.currentScript.src : '';
  return src ? new URL(src).origin : location.origin;
})();

const ATTRIBUTES = ['api', 'shop', 'customer', 'link', 'lang', 'mode'] as const;

class RapportLoyalty extends HTMLElement {
  static observedAttributes = [...ATTRIBUTES];
  #root: ShadowRoot | undefined;

  connectedCallback(): void {
    if (!this.#root) {
      this.#root = this.attachShadow({ mode: 'open' });
      const style = document.createElement('style');
      style.textContent = STYLES;
      this.#root.append(style, document.createElement('div'));
    }
    this.#render();
  }

  disconnectedCallback(): void {
    const mount = this.#root?.lastElementChild;
    if (mount) render(null, mount);
  }

  attributeChangedCallback(): void {
    if (this.isConnected) this.#render();
  }

  #render(): void {
    const mount = this.#root?.lastElementChild;
    if (!mount) return;
    const attr = (name: (typeof ATTRIBUTES)[number]) => this.getAttribute(name)?.trim() || undefined;
    render(
      <App
        api={(attr('api') ?? scriptOrigin).replace(/\/+$/, '')}
        shop={attr('shop') ?? ''}
        customer={attr('customer')}
        link={attr('link')}
        language={languageOf(attr('lang')) ?? languageOf(document.documentElement.lang)}
        mode={attr('mode') === 'page' ? 'page' : 'launcher'}
      />,
      mount,
    );
  }
}

if (!customElements.get('rapport-loyalty')) customElements.define('rapport-loyalty', RapportLoyalty);
