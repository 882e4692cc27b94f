"use client";

import { useEffect, useState } from "react";

/**
 * The API token a person types (scope `run` for jobs, `submit` for submissions): kept in this
 * tab's sessionStorage only (gone when the tab closes), never in the URL, sent as a bearer token
 * through this site's /api proxy.
 */
const KEY = "cxr-api-token";

export function useToken(): [string, (value: string) => void] {
  const [token, setToken] = useState("");
  useEffect(() => {
    try {
      setToken(sessionStorage.getItem(KEY) ?? "");
    } catch {}
  }, []);
  const update = (value: string) => {
    setToken(value);
    try {
      if (value) sessionStorage.setItem(KEY, value);
      else sessionStorage.removeItem(KEY);
    } catch {}
  };
  return [token, update];
}

export function TokenField({
  token,
  onChange,
  scope,
}: {
  token: string;
  onChange: (v: string) => void;
  scope: string;
}) {
  return (
    <div className="field" style={{ maxWidth: "34rem" }}>
      <label htmlFor="api-token">API token (scope {scope})</label>
      <input
        id="api-token"
        type="password"
        autoComplete="off"
        spellCheck={false}
        value={token}
        onChange={(e) => onChange(e.target.value.trim())}
        aria-describedby="api-token-help"
        style={{ maxWidth: "34rem" }}
      />
      <span id="api-token-help" className="muted" style={{ fontSize: "0.8rem" }}>
        Kept in this tab only (sessionStorage); create one with{" "}
        <code>cxr tokens create --scopes {scope}</code>.
      </span>
    </div>
  );
}
