import { useEffect, useState } from 'react';
import { saveTheme, storedTheme, systemTheme, type Theme } from '../theme.ts';

/** Switches light/dark; until used, the theme follows the system's prefers-color-scheme. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(() => storedTheme() ?? systemTheme());

  useEffect(() => {
    const query = window.matchMedia?.('(prefers-color-scheme: dark)');
    // Checked on each change: once the operator picks a theme, the system's no longer counts.
    const follow = () => {
      if (!storedTheme()) setTheme(query.matches ? 'dark' : 'light');
    };
    query?.addEventListener('change', follow);
    return () => query?.removeEventListener('change', follow);
  }, []);

  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      className="button-quiet"
      aria-pressed={theme === 'dark'}
      onClick={() => {
        saveTheme(next);
        setTheme(next);
      }}
    >
      Dark theme
    </button>
  );
}
