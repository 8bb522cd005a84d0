/**
 * The shapes a printer works with. A printer turns one stored object into the
 * cells of one `meta.k8s.io/v1` Table row; the apiserver's Table encoder
 * (not this folder) wraps the rows with `columnDefinitions`, row objects and
 * list metadata.
 */

/** One column of a Table, as `meta.k8s.io/v1 TableColumnDefinition` encodes it. */
export interface TableColumnDefinition {
  name: string;
  /** OpenAPI type: `string`, `integer`, `number`, `boolean` or `date`. */
  type: string;
  /** OpenAPI format hint; `name` marks the column that holds the object name. */
  format: string;
  description: string;
  /** 0 for the default view; 1 for columns kubectl shows only with `-o wide`. */
  priority: number;
}

/**
 * The column set of one resource and the function that fills a row.
 *
 * Called by the apiserver's Table conversion for every object of a list, get
 * or watch event. The server always produces the wide cells (kubectl hides
 * priority-1 columns itself), so `cells` returns one value per column, in
 * column order.
 */
export interface Printer {
  columns: TableColumnDefinition[];
  /**
   * @param obj the object as served (JSON shape of the requested group/version)
   * @param now the current time in ms since the epoch; ages are relative to it
   */
  cells(obj: Record<string, any>, now: number): unknown[];
}
