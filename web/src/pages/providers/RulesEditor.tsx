import { type FormEvent, useEffect, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert, Notice } from '../../components/Alert.tsx';
import { TextArea } from '../../components/Field.tsx';
import { useAction } from '../../components/hooks.ts';

interface Props {
  /** "Fee rules": the field is "Fee rules (JSON)", the button "Save fee rules". */
  title: string;
  path: string;
  rules: unknown[];
  editable: boolean;
  help: string;
  onSaved: () => void;
}

/** A rule list (PAYMENT_FEES / PAYMENT_LIMITS JSON) edited as text and saved with PUT {rules}. */
export function RulesEditor({ title, path, rules, editable, help, onSaved }: Props) {
  const original = JSON.stringify(rules, null, 2);
  const [value, setValue] = useState(original);
  const [invalid, setInvalid] = useState<string | null>(null);
  const action = useAction();

  useEffect(() => setValue(original), [original]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (e) {
      setInvalid(`That is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (!Array.isArray(parsed)) {
      setInvalid('The rules must be a JSON array: [ {…}, {…} ].');
      return;
    }
    setInvalid(null);
    if (await action.run(() => api.put(path, { rules: parsed }), 'Saved.')) onSaved();
  };

  return (
    <form className="stack" onSubmit={submit}>
      <TextArea
        label={`${title} (JSON)`}
        value={value}
        onChange={setValue}
        readOnly={!editable}
        rows={Math.min(20, Math.max(6, value.split('\n').length + 1))}
        spellCheck={false}
        className="code"
      />
      <p className="muted">{help}</p>
      <ErrorAlert error={invalid ? new Error(invalid) : action.error} />
      <Notice message={action.done} />
      <div className="row">
        <button type="submit" disabled={!editable || action.busy}>
          {`Save ${title.toLowerCase()}`}
        </button>
        <button
          type="button"
          className="button-quiet"
          disabled={!editable}
          onClick={() => setValue(original)}
        >
          Discard changes
        </button>
      </div>
    </form>
  );
}
