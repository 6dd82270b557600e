//! Tests of the compatibility rewrites, on SQL as clients send it.

use super::*;

#[test]
fn slash_escapes_become_backslash_escapes() {
    let sql = "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg/_' || '%' ESCAPE '/'";
    let out = rewrite(sql, &[]);
    assert!(!out.contains("ESCAPE"), "{out}");
    assert!(
        out.contains("replace(replace('pg/_' || '%', '\\', '\\\\'), '/', '\\')"),
        "{out}"
    );
    let plain = "SELECT 1 WHERE 'a' LIKE 'a%'";
    assert!(matches!(rewrite(plain, &[]), Cow::Borrowed(_)));
    let backslash = r"SELECT 1 WHERE 'a_' LIKE 'a\_' ESCAPE '\'";
    assert!(matches!(rewrite(backslash, &[]), Cow::Borrowed(_)));
}

#[test]
fn lake_queries_are_plain_and_catalog_queries_are_not() {
    let lake = "SELECT c.customer_id, (SELECT count(*) FROM opportunities o \
                WHERE o.customer_id = c.customer_id) AS n FROM customers c";
    assert!(plain_query(lake).is_some());
    assert!(plain_query("SELECT $1::INT + 1").is_some());
    for other in [
        "SELECT relname FROM pg_catalog.pg_class",
        "SELECT * FROM information_schema.tables",
        "SELECT current_schema()",
        "SELECT 1; SELECT 2",
        "SET search_path = public",
        "SELECT oid FROM whatever",
    ] {
        assert!(plain_query(other).is_none(), "{other}");
    }
}

#[test]
fn select_list_subqueries_with_parameters_keep_their_parameters() {
    let sql = "SELECT a.attname, (SELECT json_build_object('always', a.attidentity = $2) \
               FROM pg_catalog.pg_sequence s WHERE a.attidentity != $3) AS identity \
               FROM pg_catalog.pg_attribute a WHERE a.attnum > $1 AND a.attname = $4";
    let out = rewrite(sql, &["SMALLINT", "TEXT"]);
    assert!(!out.contains("pg_sequence"), "{out}");
    assert!(
        out.contains(
            "CASE WHEN CAST($2 AS TEXT) IS NULL AND CAST($3 AS TEXT) IS NULL \
             THEN NULL END AS identity"
        ),
        "{out}"
    );
    assert!(out.contains("a.attnum > $1 AND a.attname = $4"), "{out}");

    // Subqueries without parameters, or outside the SELECT list, stay.
    for kept in [
        "SELECT (SELECT max(x) FROM t) FROM u WHERE y = $1",
        "SELECT x FROM u WHERE y = (SELECT max(z) FROM t WHERE w = $1)",
    ] {
        assert!(matches!(rewrite(kept, &[]), Cow::Borrowed(_)), "{kept}");
    }
}

#[test]
fn nested_correlated_subqueries_become_null_unless_they_aggregate() {
    // SQLAlchemy's column inspection asks for a collation this way.
    let sql = "SELECT a.attname, CASE WHEN (a.attcollation != $1::INTEGER AND \
               (SELECT t.typcollation FROM pg_catalog.pg_type t \
                WHERE t.oid = a.atttypid) != a.attcollation) \
               THEN (SELECT pg_catalog.pg_collation.collname FROM pg_catalog.pg_collation \
                     WHERE pg_catalog.pg_collation.oid = a.attcollation) \
               ELSE NULL END AS collation \
               FROM pg_catalog.pg_attribute a";
    let out = rewrite(sql, &["INT"]);
    assert!(!out.contains("pg_type"), "{out}");
    assert!(!out.contains("pg_collation"), "{out}");
    assert!(
        out.contains("$1::INTEGER"),
        "the outer parameter stays: {out}"
    );
    assert!(out.contains("END AS collation FROM"), "{out}");

    // Uncorrelated or aggregating subqueries inside an item are kept.
    for kept in [
        "SELECT CASE WHEN x > $1 THEN (SELECT max(y) FROM t WHERE t.k = u.k) END FROM u",
        "SELECT CASE WHEN x > $1 THEN (SELECT y FROM t WHERE t.k = 1) END FROM u",
    ] {
        let out = rewrite(kept, &[]);
        assert!(out.contains("FROM t"), "{kept} became {out}");
    }
}

#[test]
fn queries_the_layer_answers_wholesale_are_left_alone() {
    // pgcli's foreign-key lookup: the compatibility layer has a fixed
    // answer for these exact tokens, and would miss it after a rewrite.
    let pgcli = "SELECT s_p.nspname AS parentschema, t_p.relname AS parenttable, \
        unnest((select array_agg(attname ORDER BY i) from \
        (select unnest(confkey) as attnum, generate_subscripts(confkey, 1) as i) x \
        JOIN pg_catalog.pg_attribute c USING(attnum) WHERE c.attrelid = fk.confrelid \
        )) AS parentcolumn, s_c.nspname AS childschema, t_c.relname AS childtable, \
        unnest((select array_agg(attname ORDER BY i) from \
        (select unnest(conkey) as attnum, generate_subscripts(conkey, 1) as i) x \
        JOIN pg_catalog.pg_attribute c USING(attnum) WHERE c.attrelid = fk.conrelid \
        )) AS childcolumn \
        FROM pg_catalog.pg_constraint fk \
        JOIN pg_catalog.pg_class t_p ON t_p.oid = fk.confrelid \
        JOIN pg_catalog.pg_namespace s_p ON s_p.oid = t_p.relnamespace \
        JOIN pg_catalog.pg_class t_c ON t_c.oid = fk.conrelid \
        JOIN pg_catalog.pg_namespace s_c ON s_c.oid = t_c.relnamespace \
        WHERE fk.contype = 'f'";
    assert!(matches!(rewrite(pgcli, &[]), Cow::Borrowed(_)));
    // The same columns in a query of its own are rewritten.
    let own = "SELECT unnest(i.indkey) AS attnum, generate_subscripts(i.indkey, $1) \
               AS ord FROM pg_catalog.pg_index i";
    let out = rewrite(own, &["INT"]);
    assert!(
        out.contains("unnest(CAST(string_to_array(i.indkey, ' ') AS SMALLINT[]))"),
        "{out}"
    );
    assert!(out.contains("CASE WHEN $1 = 1"), "{out}");
}

#[test]
fn missing_catalog_columns_read_null() {
    let sql = "SELECT pg_catalog.pg_class.reloptions FROM pg_catalog.pg_class \
               WHERE pg_catalog.pg_class.relname = $1";
    let out = rewrite(sql, &[]);
    assert!(out.starts_with("SELECT CAST(NULL AS TEXT) FROM"), "{out}");
}

#[test]
fn information_schema_columns_speaks_postgres_type_names() {
    let sql = "SELECT column_name, data_type FROM information_schema.columns c \
               WHERE c.table_name = 'opportunities'";
    let rewritten = rewrite(sql, &[]);
    assert!(rewritten.contains("'double precision'"), "{rewritten}");
    assert!(rewritten.contains(") c WHERE c.table_name"), "{rewritten}");
    // Unaliased, the replacement keeps the view's name for qualified columns.
    let rewritten = rewrite(
        "SELECT columns.data_type FROM information_schema.columns",
        &[],
    );
    assert!(rewritten.contains(") AS columns"), "{rewritten}");
    // Other information_schema views are left as they are.
    let tables = "SELECT table_name FROM information_schema.tables";
    assert_eq!(rewrite(tables, &[]), tables);
}

#[test]
fn functions_in_from_mean_what_postgres_makes_of_them() {
    let sql = "SELECT CASE WHEN trim(s[i]) = '\"$user\"' THEN user ELSE trim(s[i]) END \
               FROM generate_series(1, 2) AS i, string_to_array('a,b', ',') s";
    let rewritten = rewrite(sql, &[]);
    assert!(
        rewritten.contains("generate_series(1, 2) AS i (i)"),
        "{rewritten}"
    );
    assert!(
        rewritten.contains("(SELECT string_to_array('a,b', ',') AS s) AS s"),
        "{rewritten}"
    );
    assert!(rewritten.contains("THEN current_user ELSE"), "{rewritten}");
    // A quoted "user" is a column, and the '"$user"' string is left alone.
    let quoted = "SELECT \"user\" FROM t";
    assert_eq!(rewrite(quoted, &[]), quoted);
}
