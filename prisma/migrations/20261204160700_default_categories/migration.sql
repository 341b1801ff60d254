-- Default IT categories in French and English. Admins rename, reorder and deactivate them later;
-- this migration runs once, so their changes are never overwritten.
INSERT INTO "categories" ("type", "position", "name_fr", "name_en", "updated_at") VALUES
  ('INCIDENT', 10, 'Poste de travail', 'Workstation', now()),
  ('INCIDENT', 20, 'Impression', 'Printing', now()),
  ('INCIDENT', 30, 'Réseau et Wi-Fi', 'Network and Wi-Fi', now()),
  ('INCIDENT', 40, 'Messagerie', 'Email', now()),
  ('INCIDENT', 50, 'Logiciel métier', 'Business application', now()),
  ('INCIDENT', 60, 'Téléphonie', 'Telephony', now()),
  ('INCIDENT', 70, 'Compte et mot de passe', 'Account and password', now()),
  ('INCIDENT', 80, 'Autre', 'Other', now()),
  ('REQUEST', 10, 'Matériel', 'Hardware', now()),
  ('REQUEST', 20, 'Installation de logiciel', 'Software installation', now()),
  ('REQUEST', 30, 'Droits d''accès', 'Access rights', now()),
  ('REQUEST', 40, 'Arrivée d''un collaborateur', 'New employee', now()),
  ('REQUEST', 50, 'Départ d''un collaborateur', 'Departing employee', now()),
  ('REQUEST', 60, 'Autre', 'Other', now());

INSERT INTO "categories" ("type", "parent_id", "position", "name_fr", "name_en", "updated_at")
SELECT parent."type", parent."id", child.position, child.name_fr, child.name_en, now()
  FROM (VALUES
    ('INCIDENT', 'Workstation', 10, 'Ne démarre pas', 'Does not start'),
    ('INCIDENT', 'Workstation', 20, 'Lenteur', 'Slowness'),
    ('INCIDENT', 'Workstation', 30, 'Écran, clavier ou souris', 'Screen, keyboard or mouse'),
    ('REQUEST', 'Hardware', 10, 'Nouvel ordinateur', 'New computer'),
    ('REQUEST', 'Hardware', 20, 'Périphérique', 'Peripheral'),
    ('REQUEST', 'Access rights', 10, 'Dossier partagé', 'Shared folder'),
    ('REQUEST', 'Access rights', 20, 'Application', 'Application')
  ) AS child (type, parent_name, position, name_fr, name_en)
  JOIN "categories" parent
    ON parent."type"::text = child.type AND parent."name_en" = child.parent_name
   AND parent."parent_id" IS NULL;
