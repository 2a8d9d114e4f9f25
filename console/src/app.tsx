import type { ComponentType } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type ApiError, createApi } from './api.ts';
import { AppContext, type AppContextValue, type ShopInfo, useApp } from './app-context.ts';
import { LanguageSelect } from './components/language-select.tsx';
import { formatters } from './format.ts';
import { catalogs, formattingLocale, type Language, languageOf } from './i18n/index.ts';
import { CampaignsPage } from './pages/campaigns.tsx';
import { CustomerPage } from './pages/customer.tsx';
import { CustomersPage } from './pages/customers.tsx';
import { EmailTemplatesPage } from './pages/email-templates.tsx';
import { EmailsPage } from './pages/emails.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { ProgramPage } from './pages/program.tsx';
import { ReferralsPage } from './pages/referrals.tsx';
import { RunsPage } from './pages/runs.tsx';
import { SegmentMembersPage, SegmentsPage } from './pages/segments.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { Link, matchPath, useLocation } from './router.tsx';
import { forgetKey, readKey, readLanguage, saveKey, saveLanguage } from './session.ts';
import { loadShop } from './shop.ts';

type Page = ComponentType<{ params: Record<string, string> }>;
type PageName = keyof AppContextValue['t']['pages'];

const ROUTES: Array<[pattern: string, page: Page, nav: PageName]> = [
  ['/', OverviewPage, 'overview'],
  ['/customers', CustomersPage, 'customers'],
  ['/customers/:customerId', CustomerPage, 'customers'],
  ['/segments', SegmentsPage, 'segments'],
  ['/segments/:segmentId', SegmentMembersPage, 'segments'],
  ['/program', ProgramPage, 'program'],
  ['/emails', EmailsPage, 'emails'],
  ['/emails/templates', EmailTemplatesPage, 'emails'],
  ['/campaigns', CampaignsPage, 'campaigns'],
  ['/campaigns/:campaignId', CampaignsPage, 'campaigns'],
  ['/referrals', ReferralsPage, 'referrals'],
  ['/runs', RunsPage, 'runs'],
  ['/runs/:runId', RunsPage, 'runs'],
  ['/settings', SettingsPage, 'settings'],
];

const NAV: Array<[PageName, string]> = [
  ['overview', '/'],
  ['customers', '/customers'],
  ['segments', '/segments'],
  ['program', '/program'],
  ['emails', '/emails'],
  ['campaigns', '/campaigns'],
  ['referrals', '/referrals'],
  ['runs', '/runs'],
  ['settings', '/settings'],
];

export function App() {
  const [key, setKey] = useState(readKey);
  const [shop, setShop] = useState<ShopInfo | null>(null);
  const [notice, setNotice] = useState<'expired' | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [choice, setChoice] = useState(() => readLanguage() as Language | null);
  const language: Language = choice ?? languageOf(shop?.locale ?? navigator.language);
  const t = catalogs[language];

  const api = useMemo(
    () =>
      key
        ? createApi(key, (_error: ApiError) => {
            forgetKey();
            setKey(null);
            setShop(null);
            setNotice('expired');
          })
        : null,
    [key],
  );

  useEffect(() => {
    if (!api || shop) return;
    setFailure(null);
    loadShop(api).then(setShop, (error: unknown) => setFailure(error));
  }, [api, shop]);

  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);

  const setLanguage = (next: Language) => {
    saveLanguage(next);
    setChoice(next);
  };

  if (!api) {
    return (
      <SignIn
        t={t}
        language={language}
        setLanguage={setLanguage}
        notice={notice === 'expired' ? t.signIn.expired : null}
        onSignedIn={(newKey, info) => {
          saveKey(newKey);
          setNotice(null);
          setShop(info);
          setKey(newKey);
        }}
      />
    );
  }
  if (!shop) {
    return (
      <main class="signin" id="main">
        {failure ? (
          <div class="notice notice-error" role="alert">
            <p>{failure instanceof Error ? failure.message : String(failure)}</p>
            <button type="button" onClick={() => location.reload()}>
              {t.app.retry}
            </button>
          </div>
        ) : (
          <p role="status">{t.app.loading}</p>
        )}
      </main>
    );
  }

  const context: AppContextValue = {
    api,
    shop,
    t,
    fmt: formatters(formattingLocale(language, shop.locale), shop.currency, shop.timezone),
    language,
    setLanguage,
    refreshShop: async () => setShop(await loadShop(api)),
    switchKey: (newKey) => {
      saveKey(newKey);
      setKey(newKey);
    },
  };
  return (
    <AppContext.Provider value={context}>
      <Shell
        onSignOut={() => {
          forgetKey();
          setKey(null);
          setShop(null);
        }}
      />
    </AppContext.Provider>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const { path } = useLocation();
  const { t, shop, language, setLanguage } = useApp();
  const matched = ROUTES.map(([pattern, page, nav]) => ({ params: matchPath(pattern, path), page, nav })).find((route) => route.params);
  const Page = matched?.page;
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        {t.app.skip}
      </a>
      <header class="sidebar">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true">
            R
          </span>
          <span>
            <span class="brand-name">{t.app.name}</span>
            <span class="brand-shop">{shop.name}</span>
          </span>
        </div>
        <nav aria-label={t.app.nav}>
          <ul>
            {NAV.map(([name, href]) => (
              <li key={name}>
                <Link href={href} aria-current={matched?.nav === name ? 'page' : undefined}>
                  {t.pages[name]}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="sidebar-foot">
          <LanguageSelect label={t.language.label} names={t.language} language={language} onChange={setLanguage} />
          <button type="button" class="button-secondary" onClick={onSignOut}>
            {t.app.signOut}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <PageFocus path={path} title={matched ? t.pages[matched.nav] : t.app.notFound} />
        {Page && matched?.params ? (
          <Page key={path} params={matched.params} />
        ) : (
          <>
            <div class="page-title">
              <h1 tabIndex={-1}>{t.app.notFound}</h1>
            </div>
            <p>{t.app.notFoundText}</p>
          </>
        )}
      </main>
    </div>
  );
}

/** After a navigation (not the first page), the new page's heading takes the focus, and the tab its title. */
function PageFocus({ path, title }: { path: string; title: string }) {
  const first = useRef(true);
  useEffect(() => {
    document.title = `${title} · Rapport`;
  }, [title]);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = document.querySelector<HTMLElement>('main h1');
    heading?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [path]);
  return null;
}
