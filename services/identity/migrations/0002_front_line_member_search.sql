-- The till's find box searches members by name, email or phone: a Front-Line Manager needs
-- member.search. (The permission also covers the duplicates list and memberExport today.)
UPDATE roles SET permissions = array_append(permissions, 'member.search')
 WHERE program_code = '' AND code = 'front_line_manager' AND builtin
   AND NOT 'member.search' = ANY (permissions);
