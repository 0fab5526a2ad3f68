import { useEffect, useMemo, useState, type FormEvent } from "react";
import {
  Api,
  OfflineError,
  type FlagSet,
  type Project,
  type Session,
} from "./api";
import { LocalCache } from "./db";
import { I18n, dictionaries, pickLang, useT, type Lang } from "./i18n";
import { ProjectView } from "./ProjectView";

type Theme = "system" | "light" | "dark";

const api = new Api("");

/** Routes: `#/` the project list, `#/projects/{id}/{tab}` a project. */
function useHashRoute(): string[] {
  const read = () =>
    location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

export function App() {
  const [lang, setLang] = useState<Lang>(
    () =>
      (localStorage.getItem("todo.lang") as Lang | null) ??
      pickLang(navigator.language),
  );
  const [theme, setTheme] = useState<Theme>(
    () => (localStorage.getItem("todo.theme") as Theme | null) ?? "system",
  );
  const [session, setSession] = useState<Session | null>(api.current);
  // Feature flags of this environment (the guide's LaunchDarkly role); cached for offline use.
  const [flags, setFlags] = useState<FlagSet["flags"]>(
    () =>
      JSON.parse(
        localStorage.getItem("todo.flags") ?? "{}",
      ) as FlagSet["flags"],
  );

  useEffect(() => api.onSession(setSession), []);
  useEffect(() => {
    document.documentElement.lang = lang;
    localStorage.setItem("todo.lang", lang);
  }, [lang]);
  useEffect(() => {
    if (theme === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem("todo.theme", theme);
  }, [theme]);
  useEffect(() => {
    api
      .get<FlagSet>("/v1/flags")
      .then((f) => {
        setFlags(f.flags);
        localStorage.setItem("todo.flags", JSON.stringify(f.flags));
      })
      .catch(() => undefined);
  }, []);

  const i18n = useMemo(() => ({ t: dictionaries[lang], lang }), [lang]);
  const t = i18n.t;
  return (
    <I18n.Provider value={i18n}>
      <a className="skip" href="#main">
        {t.skip}
      </a>
      <header className="top">
        <h1>
          <a href="#/">{t.appName}</a>
        </h1>
        <div className="prefs">
          <label>
            {t.language}{" "}
            <select
              value={lang}
              onChange={(e) => setLang(e.target.value as Lang)}
            >
              <option value="en">English</option>
              <option value="de">Deutsch</option>
            </select>
          </label>
          <label>
            {t.theme}{" "}
            <select
              value={theme}
              onChange={(e) => setTheme(e.target.value as Theme)}
            >
              <option value="system">{t.system}</option>
              <option value="light">{t.light}</option>
              <option value="dark">{t.dark}</option>
            </select>
          </label>
          {session && (
            <>
              <span className="who">
                {session.user.display_name || session.user.email}
              </span>
              <button type="button" onClick={() => void api.logout()}>
                {t.signOut}
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {session ? (
          <SignedIn key={session.user.id} session={session} flags={flags} />
        ) : (
          <AuthForm />
        )}
      </main>
    </I18n.Provider>
  );
}

function AuthForm() {
  const t = useT();
  const [mode, setMode] = useState<"in" | "up">("in");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const email = String(f.get("email") ?? "");
    const password = String(f.get("password") ?? "");
    setBusy(true);
    setError(null);
    try {
      if (mode === "up")
        await api.register(
          email,
          password,
          String(f.get("name") ?? "") || undefined,
        );
      else await api.login(email, password);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const heading = mode === "up" ? t.signUp : t.signIn;
  return (
    <section className="auth" aria-labelledby="auth-h">
      <h2 id="auth-h">{heading}</h2>
      <form onSubmit={(e) => void submit(e)}>
        {mode === "up" && (
          <label>
            {t.displayName}
            <input name="name" autoComplete="name" maxLength={120} />
          </label>
        )}
        <label>
          {t.email}
          <input name="email" type="email" required autoComplete="email" />
        </label>
        <label>
          {t.password}
          <input
            name="password"
            type="password"
            required
            minLength={10}
            aria-describedby="pw-hint"
            autoComplete={mode === "up" ? "new-password" : "current-password"}
          />
        </label>
        <p id="pw-hint" className="hint">
          {t.passwordHint}
        </p>
        <p role="alert" className="error">
          {error}
        </p>
        <button type="submit" disabled={busy}>
          {heading}
        </button>
      </form>
      <button
        type="button"
        className="link"
        onClick={() => setMode(mode === "up" ? "in" : "up")}
      >
        {mode === "up" ? t.haveAccount : t.needAccount}
      </button>
    </section>
  );
}

function SignedIn({
  session,
  flags,
}: {
  session: Session;
  flags: FlagSet["flags"];
}) {
  const route = useHashRoute();
  const onList = !(route[0] === "projects" && route[1]);
  const [cache, setCache] = useState<LocalCache | null | undefined>(undefined);
  const [projects, setProjects] = useState<Project[]>([]);
  const [offline, setOffline] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const t = useT();

  useEffect(() => {
    let c: LocalCache | null = null;
    let gone = false;
    LocalCache.open(session.user.id)
      .then((opened) => {
        c = opened;
        if (gone) opened.close();
        else setCache(opened);
      })
      .catch(() => setCache(null));
    return () => {
      gone = true;
      c?.close();
    };
  }, [session.user.id]);

  useEffect(() => {
    if (cache === undefined || !onList) return;
    // The device's copy first, then the server's (which replaces it in the cache).
    const load = async () => {
      const local = cache ? await cache.projects() : null;
      if (local) setProjects(local);
      try {
        const list = await api.get<Project[]>("/v1/projects");
        setProjects(list);
        setOffline(false);
        await cache?.putProjects(list);
      } catch (e) {
        if (e instanceof OfflineError) setOffline(true);
        else setError(e instanceof Error ? e.message : String(e));
      }
    };
    void load();
    window.addEventListener("online", load);
    return () => window.removeEventListener("online", load);
    // Again whenever the list is shown (projects come and go in the project views).
  }, [cache, onList]);

  if (cache === undefined) return <p>{t.loading}</p>;
  if (!onList) {
    const id = route[1] ?? "";
    return (
      <ProjectView
        key={id}
        api={api}
        cache={cache}
        projectId={id}
        project={projects.find((p) => p.id === id) ?? null}
        tab={route[2] ?? "tasks"}
        flags={flags}
        me={session.user.id}
      />
    );
  }
  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const name = String(new FormData(form).get("name") ?? "").trim();
    if (!name) return;
    try {
      const p = (await api.send<Project>("POST", "/v1/projects", { name }))
        .data;
      form.reset();
      location.hash = `#/projects/${p.id}`;
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <section aria-labelledby="projects-h">
      <h2 id="projects-h">{t.projects}</h2>
      {offline && <p className="banner">{t.offline}</p>}
      <p role="alert" className="error">
        {error}
      </p>
      {projects.length === 0 ? (
        <p>{t.noProjects}</p>
      ) : (
        <ul className="projects">
          {projects.map((p) => (
            <li key={p.id}>
              <a href={`#/projects/${p.id}`}>{p.name}</a>{" "}
              <span className="role">{t[p.role]}</span>
            </li>
          ))}
        </ul>
      )}
      <form className="inline" onSubmit={(e) => void create(e)}>
        <label>
          {t.projectName}
          <input name="name" required maxLength={120} />
        </label>
        <button type="submit">{t.newProject}</button>
      </form>
    </section>
  );
}
