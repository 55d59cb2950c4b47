// The Meter Manager app's Settings page (manual A4): its fields, made from the settings
// schema the server hands out (GET /api/v1/settings/schema, derived from the meter's own
// settings table). This page holds no range or option list of its own. Pure: meter_app.js
// builds the form from the fields, meter_app_model.js checks and collects what the user
// typed by them.
//
// One field:
//   name     the key of `settings` in the state and in PUT /api/v1/app/settings
//   label    the form's label (the app's wording)
//   unit     shown after the input (optional)
//   kind     how the form's text becomes the JSON value:
//              'int'    a whole number in [min, max] (a text input; `what` names it in errors)
//              'number' Number(text)       'text' the text as it is
//              'bool'   text === 'true'
//   options  [{value, text}]: a drop-down of these values (otherwise a text input)

/// The form kind of a schema row's JSON form.
const KIND_OF_JSON = { integer: 'int', number: 'number', code: 'number', text: 'text', boolean: 'bool' };

/// The app's fields from the schema: the rows the app shows (`app` > 0), in the app's order.
export function fieldsFromSchema(schema) {
  return schema
    .filter((row) => row.app > 0)
    .sort((a, b) => a.app - b.app)
    .map((row) => {
      const field = { name: row.key, label: row.label, kind: KIND_OF_JSON[row.json] };
      if (row.unit) field.unit = row.unit;
      if (row.kind === 'integer') Object.assign(field, { min: row.min, max: row.max, what: row.name });
      if (row.choices) field.options = row.choices.map((c) => ({ value: String(c.value), text: c.text }));
      return field;
    });
}
