import { useId } from 'preact/hooks';
import type { Language } from '../i18n/index.ts';

/** The language switch: a select whose accessible name is exactly its label ("Language" / "Ngôn ngữ"). */
export function LanguageSelect({
  label,
  names,
  language,
  onChange,
}: {
  label: string;
  names: Record<Language, string>;
  language: Language;
  onChange: (language: Language) => void;
}) {
  const id = useId();
  return (
    <div class="language">
      <label for={id}>{label}</label>
      <select id={id} value={language} onChange={(event) => onChange(event.currentTarget.value as Language)}>
        <option value="en" lang="en">
          {names.en}
        </option>
        <option value="vi" lang="vi">
          {names.vi}
        </option>
      </select>
    </div>
  );
}
