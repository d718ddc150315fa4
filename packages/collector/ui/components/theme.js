// Light / dark: the system's preference until the user picks one with the toggle.
const THEME_STORAGE = 'decision-trace.theme';
const darkQuery = matchMedia('(prefers-color-scheme: dark)');

export function currentTheme() {
  return document.documentElement.dataset.theme ?? (darkQuery.matches ? 'dark' : 'light');
}

export function initTheme(button) {
  const saved = localStorage.getItem(THEME_STORAGE);
  if (saved === 'light' || saved === 'dark') document.documentElement.dataset.theme = saved;
  const label = () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    button.setAttribute('aria-label', `Switch to ${next} theme`);
    button.title = `Switch to ${next} theme`;
    button.dataset.current = currentTheme();
  };
  button.addEventListener('click', () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    localStorage.setItem(THEME_STORAGE, next);
    label();
    document.dispatchEvent(new CustomEvent('dt:theme'));
  });
  darkQuery.addEventListener('change', label);
  label();
}
