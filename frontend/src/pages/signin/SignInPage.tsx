// Sign-in: the operator pastes the hub's API key once; it is checked against
// the hub, then kept in sessionStorage until the browser session ends.

import { useState } from "react";
import { checkApiKey, setApiKey } from "../../api/client";

export default function SignInPage({
  refused,
  onSignedIn,
}: {
  /** True when a request was just refused with 401 (key changed or expired). */
  refused: boolean;
  onSignedIn: () => void;
}) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(
    refused ? "The hub no longer accepts the saved key. Enter it again." : null,
  );
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError("Enter the API key.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (await checkApiKey(trimmed)) {
        setApiKey(trimmed);
        onSignedIn();
      } else {
        setError("That key was not accepted by the hub.");
      }
    } catch (err) {
      setError(`Could not reach the hub: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <form
        onSubmit={submit}
        className="w-full max-w-sm rounded-lg border border-border-default bg-bg-secondary p-6 shadow-lg"
        aria-labelledby="sign-in-title"
      >
        <div className="mb-6 flex items-center gap-2">
          <svg viewBox="0 0 32 32" className="h-7 w-7" aria-hidden="true">
            <circle cx="16" cy="16" r="6" fill="#4ADE80" />
            <circle cx="16" cy="16" r="11" fill="none" stroke="#22D3EE" strokeWidth="2" />
          </svg>
          <h1 id="sign-in-title" className="text-xl font-bold text-text-primary">
            HomelabCmd
          </h1>
        </div>
        {/* Lets password managers file the key under a name. */}
        <input type="text" name="username" autoComplete="username" value="homelabcmd" readOnly hidden />
        <label htmlFor="api-key" className="block text-sm font-medium text-text-secondary">
          API key
        </label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="current-password"
          autoFocus
          value={key}
          onChange={(e) => setKey(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "sign-in-error" : "sign-in-hint"}
          className="mt-1 w-full rounded-md border border-border-default bg-bg-tertiary px-3 py-2 font-mono text-sm text-text-primary placeholder:text-text-muted focus:border-accent focus:outline-none"
        />
        <p id="sign-in-hint" className="mt-2 text-xs text-text-tertiary">
          The hub's <code className="font-mono">HOMELAB_CMD_API_KEY</code>. Kept for this browser
          session only.
        </p>
        {error && (
          <p id="sign-in-error" role="alert" className="mt-3 text-sm text-status-error">
            {error}
          </p>
        )}
        <button
          type="submit"
          disabled={busy}
          className="mt-5 w-full rounded-md bg-accent px-4 py-2 font-medium text-bg-primary hover:bg-accent-hover active:bg-accent-active disabled:opacity-60"
        >
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
