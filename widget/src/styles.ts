/**
 * The widget's whole stylesheet, put in its shadow root: the shop's page cannot break it, and it
 * cannot touch the page. The shop themes it through the documented custom properties (they inherit
 * into the shadow tree); each falls back to a neutral default.
 */
export const STYLES = `
:host {
  all: initial;
  display: block;
  --a: var(--rapport-accent, #1f6f5c);
  --at: var(--rapport-accent-text, #fff);
  --s: var(--rapport-surface, #fff);
  --tx: var(--rapport-text, #1d2428);
  --r: var(--rapport-radius, 12px);
  --mut: color-mix(in srgb, var(--tx) 62%, var(--s));
  --ln: color-mix(in srgb, var(--tx) 14%, var(--s));
  --soft: color-mix(in srgb, var(--a) 9%, var(--s));
  font-family: var(--rapport-font, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif);
  font-size: 15px;
  line-height: 1.45;
  color: var(--tx);
}
:host([mode="launcher"]), :host(:not([mode])) { display: contents; }
* { box-sizing: border-box; }
button, select { font: inherit; color: inherit; }
button { cursor: pointer; }
button:disabled { cursor: not-allowed; }
:focus-visible { outline: 3px solid color-mix(in srgb, var(--a) 55%, transparent); outline-offset: 2px; }
.launcher {
  position: fixed;
  right: var(--rapport-launcher-right, 20px);
  bottom: var(--rapport-launcher-bottom, 20px);
  z-index: 2147483000;
  display: inline-flex; align-items: center; gap: 8px;
  border: 0; border-radius: 999px;
  padding: 12px 18px;
  background: var(--a); color: var(--at);
  font-weight: 600;
  box-shadow: 0 6px 20px rgb(0 0 0 / 22%);
}
.launcher svg { width: 18px; height: 18px; fill: currentColor; }
.launcher .pts { font-weight: 500; opacity: .9; }
.panel {
  background: var(--s); color: var(--tx);
  border-radius: var(--r);
  display: flex; flex-direction: column;
}
.float {
  position: fixed;
  right: var(--rapport-launcher-right, 20px);
  bottom: calc(var(--rapport-launcher-bottom, 20px) + 62px);
  z-index: 2147483000;
  width: min(400px, calc(100vw - 2 * var(--rapport-launcher-right, 20px)));
  max-height: min(680px, calc(100vh - 110px));
  box-shadow: 0 12px 40px rgb(0 0 0 / 25%);
  overflow: hidden;
}
.page { width: 100%; border: 1px solid var(--ln); }
.head {
  display: flex; align-items: center; justify-content: space-between; gap: 12px;
  padding: 16px 20px;
  background: var(--a); color: var(--at);
}
.float .head { border-radius: var(--r) var(--r) 0 0; }
.page .head { border-radius: calc(var(--r) - 1px) calc(var(--r) - 1px) 0 0; }
.head h2 { margin: 0; font-size: 17px; font-weight: 650; }
.x { border: 0; background: transparent; color: inherit; font-size: 22px; line-height: 1; padding: 4px 8px; border-radius: 6px; }
.body { padding: 4px 20px 20px; overflow-y: auto; }
.body > section { padding: 14px 0; border-bottom: 1px solid var(--ln); }
.body > section:last-child { border-bottom: 0; }
h3 { margin: 0 0 8px; font-size: 13px; font-weight: 650; text-transform: uppercase; letter-spacing: .04em; color: var(--mut); }
p { margin: 0 0 6px; }
.mut { color: var(--mut); font-size: 13px; }
.big { font-size: 30px; font-weight: 700; line-height: 1.1; color: var(--a); }
.hello { font-size: 17px; font-weight: 600; margin-bottom: 6px; }
.tier { font-size: 18px; font-weight: 650; }
.bar { height: 10px; border-radius: 99px; background: var(--ln); overflow: hidden; margin: 8px 0 6px; }
.bar > div { height: 100%; background: var(--a); border-radius: 99px; }
ul { list-style: none; margin: 0; padding: 0; }
.earn li { padding: 4px 0 4px 22px; position: relative; }
.earn li::before { content: "★"; position: absolute; left: 0; color: var(--a); }
.card { border: 1px solid var(--ln); border-radius: calc(var(--r) * .75); padding: 12px 14px; margin-bottom: 10px; }
.card p { margin: 2px 0 0; }
.card.off { background: color-mix(in srgb, var(--ln) 35%, var(--s)); }
.row { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: baseline; gap: 4px 12px; }
.row .name { flex: 1 1 10em; }
.name { font-weight: 600; }
.cost { font-weight: 600; color: var(--a); white-space: nowrap; }
.act { display: flex; align-items: center; gap: 10px; margin-top: 10px; flex-wrap: wrap; }
.btn {
  border: 0; border-radius: calc(var(--r) * .66);
  padding: 8px 16px; font-weight: 600; white-space: nowrap;
  background: var(--a); color: var(--at);
}
.btn:disabled { background: var(--ln); color: var(--mut); }
.btn.ghost { background: transparent; color: var(--a); border: 1px solid currentColor; }
select { border: 1px solid var(--ln); border-radius: 8px; padding: 6px 8px; background: var(--s); }
.why { font-size: 13px; color: var(--mut); }
.err { color: #b3261e; font-size: 14px; margin: 8px 0 0; }
.code { background: var(--soft); border-radius: calc(var(--r) * .75); padding: 14px 16px; margin-bottom: 14px; }
.code .val { font: 700 24px/1.2 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; letter-spacing: .04em; overflow-wrap: anywhere; }
.code .row { align-items: center; margin: 4px 0 8px; }
.pill { display: inline-block; font-size: 12px; padding: 1px 8px; border-radius: 99px; background: var(--ln); white-space: nowrap; }
.pill.issued { background: var(--soft); color: var(--a); font-weight: 600; }
.list li { display: flex; justify-content: space-between; gap: 12px; padding: 7px 0; border-bottom: 1px dashed var(--ln); }
.list li:last-child { border-bottom: 0; }
.mono { font-family: ui-monospace, Menlo, Consolas, monospace; }
.plus { color: var(--a); font-weight: 600; white-space: nowrap; }
.minus { color: var(--mut); font-weight: 600; white-space: nowrap; }
.tiers li { display: flex; justify-content: space-between; gap: 12px; padding: 6px 0; }
.hint { background: var(--soft); border-radius: calc(var(--r) * .75); padding: 12px 14px; }
@media (prefers-reduced-motion: no-preference) { .bar > div { transition: width .4s ease; } }
`;
