import { useId, type InputHTMLAttributes, type ReactNode, type Ref, type SelectHTMLAttributes } from "react";

export function FieldErrors({ id, errors }: { id: string; errors?: string[] }) {
  if (!errors || errors.length === 0) return null;
  return (
    <div id={id} className="field-error" role="alert">
      {errors.map((e, i) => (
        <div key={i}>{e}</div>
      ))}
    </div>
  );
}

interface FieldShellProps {
  label: ReactNode;
  hint?: ReactNode;
  errors?: string[];
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
  className?: string;
}

function FieldShell({ label, hint, errors, children, className }: FieldShellProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const invalid = !!errors && errors.length > 0;
  const describedBy = [hint ? hintId : null, invalid ? errId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={["field", className ?? ""].join(" ")}>
      <label htmlFor={id}>{label}</label>
      {children({ id, describedBy, invalid })}
      {hint && (
        <div id={hintId} className="field-hint">
          {hint}
        </div>
      )}
      <FieldErrors id={errId} errors={errors} />
    </div>
  );
}

export interface TextFieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, "id"> {
  label: ReactNode;
  hint?: ReactNode;
  errors?: string[];
  fieldClassName?: string;
  ref?: Ref<HTMLInputElement>;
}

export function TextField({ label, hint, errors, fieldClassName, className, ref, ...input }: TextFieldProps) {
  return (
    <FieldShell label={label} hint={hint} errors={errors} className={fieldClassName}>
      {({ id, describedBy, invalid }) => (
        <input
          ref={ref}
          id={id}
          className={["input", className ?? ""].join(" ")}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          {...input}
        />
      )}
    </FieldShell>
  );
}

export interface SelectFieldProps extends Omit<SelectHTMLAttributes<HTMLSelectElement>, "id"> {
  label: ReactNode;
  hint?: ReactNode;
  errors?: string[];
  fieldClassName?: string;
}

export function SelectField({ label, hint, errors, fieldClassName, className, children, ...select }: SelectFieldProps) {
  return (
    <FieldShell label={label} hint={hint} errors={errors} className={fieldClassName}>
      {({ id, describedBy, invalid }) => (
        <select
          id={id}
          className={["input", className ?? ""].join(" ")}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          {...select}
        >
          {children}
        </select>
      )}
    </FieldShell>
  );
}

export function FormError({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <div className="form-error" role="alert">
      {message}
    </div>
  );
}
