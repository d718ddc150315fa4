// The API key prompt: a modal dialog; resolves to the entered key, or null when cancelled.
import { h } from '../lib/dom.js';

export function askForApiKey(message) {
  return new Promise((resolve) => {
    const input = h('input', { type: 'password', id: 'api-key-input', name: 'api-key', autocomplete: 'off', required: true, spellcheck: 'false' });
    const dialog = h(
      'dialog',
      { class: 'key-dialog', 'aria-labelledby': 'api-key-title' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'api-key-title' }, 'API key required'),
        h('p', { class: 'muted' }, message),
        h('label', { for: 'api-key-input' }, 'API key'),
        input,
        h('p', { class: 'hint' }, 'Kept in this tab only (session storage) and sent as an Authorization: Bearer header.'),
        h(
          'div',
          { class: 'dialog-actions' },
          h('button', { type: 'button', class: 'button ghost', value: 'cancel', onclick: () => dialog.close('cancel') }, 'Cancel'),
          h('button', { type: 'submit', class: 'button primary', value: 'ok' }, 'Use key'),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      const key = input.value.trim();
      dialog.remove();
      resolve(dialog.returnValue === 'ok' && key !== '' ? key : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}
