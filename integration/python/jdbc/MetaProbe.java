import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Drives the SQL gateway the way DBeaver, Tableau and Metabase do, through pgjdbc's
 * DatabaseMetaData, then runs queries. Prints one tab-separated line per fact:
 *
 *   PRODUCT  name  version  major
 *   SCHEMA   schema
 *   TABLE    schema  table  type
 *   COLUMN   schema  table  column  type_name  java.sql.Types  ordinal  nullable
 *   QCOL     label  type_name                       (columns of the plain query)
 *   ROW      v1  v2 ...                              (rows of the plain query, NULL for null)
 *   PROW     run  v1  v2 ...                         (rows of each run of the prepared query)
 *   CLASS    java classes of the first prepared row's values
 *   ERROR    sqlstate                                (a failing query)
 *   AFTER    value                                   (a query after the error)
 *   SCHEMA_NOW  schema                               (getSchema() of a plain connection)
 *   CURRENT  schema  count                           (with currentSchema: getSchema(), unqualified count)
 *   DONE
 *
 * Usage: java -cp postgresql.jar:. MetaProbe jdbc:postgresql://host:port/db [user] [schema] [table]
 */
public class MetaProbe {
    static void out(Object... fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) sb.append('\t');
            sb.append(fields[i] == null ? "NULL" : fields[i].toString());
        }
        System.out.println(sb);
    }

    static List<Object> row(ResultSet rs) throws SQLException {
        List<Object> values = new ArrayList<>();
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
            values.add(rs.getString(i));
        }
        return values;
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String user = args.length > 1 ? args[1] : "tester";
        String schema = args.length > 2 ? args[2] : "sales";
        String table = args.length > 3 ? args[3] : "orders";
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("connectTimeout", "30");
        props.setProperty("socketTimeout", "120");
        try (Connection c = DriverManager.getConnection(url, props)) {
            DatabaseMetaData md = c.getMetaData();
            out("PRODUCT", md.getDatabaseProductName(), md.getDatabaseProductVersion(), md.getDatabaseMajorVersion());

            try (ResultSet rs = md.getSchemas()) {
                while (rs.next()) out("SCHEMA", rs.getString("TABLE_SCHEM"));
            }
            try (ResultSet rs = md.getTables(null, schema, "%", null)) {
                while (rs.next()) {
                    out("TABLE", rs.getString("TABLE_SCHEM"), rs.getString("TABLE_NAME"), rs.getString("TABLE_TYPE"));
                }
            }
            try (ResultSet rs = md.getColumns(null, schema, table, "%")) {
                while (rs.next()) {
                    out("COLUMN", rs.getString("TABLE_SCHEM"), rs.getString("TABLE_NAME"), rs.getString("COLUMN_NAME"),
                        rs.getString("TYPE_NAME"), rs.getInt("DATA_TYPE"), rs.getInt("ORDINAL_POSITION"),
                        rs.getString("IS_NULLABLE"));
                }
            }

            String qualified = schema + "." + table;
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select id, customer, amount, day from " + qualified + " order by id")) {
                ResultSetMetaData rmd = rs.getMetaData();
                for (int i = 1; i <= rmd.getColumnCount(); i++) out("QCOL", rmd.getColumnLabel(i), rmd.getColumnTypeName(i));
                while (rs.next()) out(prefixed("ROW", row(rs)));
            }

            // More runs than prepareThreshold (5): pgjdbc switches to a named server-side
            // statement and binary transfer, so the later runs use another code path.
            String sql = "select id, customer, amount, price, day, ts, paid from " + qualified
                + " where id <= ? and price >= ? order by id";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int run = 1; run <= 7; run++) {
                    ps.setInt(1, 3);
                    ps.setDouble(2, 2.0);
                    try (ResultSet rs = ps.executeQuery()) {
                        boolean first = true;
                        while (rs.next()) {
                            List<Object> values = row(rs);
                            values.add(0, run);
                            out(prefixed("PROW", values));
                            if (run == 7 && first) {
                                List<Object> classes = new ArrayList<>();
                                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                                    Object o = rs.getObject(i);
                                    classes.add(o == null ? "null" : o.getClass().getName());
                                }
                                out(prefixed("CLASS", classes));
                            }
                            first = false;
                        }
                    }
                }
            }

            // Parameters of another type than their columns (a double, a BigDecimal or a string
            // against the decimal amount, a double against the int id) compare in the wider
            // type, in every run, before and after prepareThreshold.
            String mixed = "select id from " + qualified
                + " where amount > ? and amount > ? and amount > ? and id < ? order by id";
            try (PreparedStatement ps = c.prepareStatement(mixed)) {
                for (int run = 1; run <= 7; run++) {
                    ps.setDouble(1, 7.249);
                    ps.setBigDecimal(2, new java.math.BigDecimal("7.249"));
                    ps.setString(3, "7.249");
                    ps.setDouble(4, 4.5);
                    try (ResultSet rs = ps.executeQuery()) {
                        List<Object> ids = new ArrayList<>();
                        ids.add(run);
                        while (rs.next()) ids.add(rs.getInt(1));
                        out(prefixed("MIXED", ids));
                    }
                }
            }

            // Rows written the way applications write them: a parameterized INSERT, run past
            // prepareThreshold so the later rows go through a named statement, binary values.
            String target = schema + ".jdbc_rows";
            try (Statement st = c.createStatement()) {
                st.execute("create table " + target + " as select 0 as id, 'x' as name,"
                    + " cast(1.5 as decimal(10,2)) as amount, date '2024-01-01' as day");
            }
            try (PreparedStatement ps = c.prepareStatement("insert into " + target + " values (?, ?, ?, ?)")) {
                for (int i = 1; i <= 7; i++) {
                    ps.setInt(1, i);
                    if (i == 3) {
                        ps.setNull(2, java.sql.Types.CHAR);  // a type arrow-pg has no case for
                    } else {
                        ps.setString(2, "it's " + i);
                    }
                    ps.setBigDecimal(3, new java.math.BigDecimal((i % 2 == 0 ? "0.0" : "1") + i));
                    ps.setDate(4, java.sql.Date.valueOf("2024-02-0" + i));
                    out("INSERTED", ps.executeUpdate());
                }
            }
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("select id, name, amount, day from " + target + " order by id")) {
                while (rs.next()) out(prefixed("IROW", row(rs)));
            }
            try (Statement st = c.createStatement()) {
                st.execute("drop table " + target);
            }

            try (Statement st = c.createStatement()) {
                st.executeQuery("select * from " + schema + ".no_such_table");
                out("ERROR", "none");
            } catch (SQLException e) {
                out("ERROR", e.getSQLState());
            }
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select count(*) from " + qualified)) {
                rs.next();
                out("AFTER", rs.getLong(1));
            }
            out("SCHEMA_NOW", c.getSchema());
        }
        // currentSchema goes to the server as the start-up search_path: unqualified names
        // resolve in it from the first statement on
        props.setProperty("currentSchema", schema);
        try (Connection c = DriverManager.getConnection(url, props);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from " + table)) {
            rs.next();
            out("CURRENT", c.getSchema(), rs.getLong(1));
        }
        out("DONE");
    }

    static Object[] prefixed(String tag, List<Object> values) {
        Object[] all = new Object[values.size() + 1];
        all[0] = tag;
        for (int i = 0; i < values.size(); i++) all[i + 1] = values.get(i);
        return all;
    }
}
