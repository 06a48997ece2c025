DOCS = [
("science-vaccines", "https://science.example.edu/explainers/how-vaccines-train-the-immune-system",
"""How Vaccines Train the Immune System

The immune system learns from experience. When a virus or bacterium infects you for the first time, it takes the body one to two weeks to produce enough antibodies and specialised cells to clear the infection. During that time, you can become seriously ill.

After the infection is over, however, the immune system keeps memory cells that recognise the same germ. If it returns, these cells respond within days, often before you notice any symptoms. This is why most people get measles or chickenpox only once.

A vaccine gives the immune system this experience without the disease. It contains a harmless piece or version of the germ, such as an inactivated virus, a single protein from its surface, or instructions that let your own cells make that protein for a short time. The immune system reacts to it as if it were a real infection and builds memory cells.

Side effects such as a sore arm, tiredness or a mild fever are common for a day or two. They happen because the immune system is active, not because the vaccine causes the disease.

Herd immunity
When most people in a community are immune, a germ has trouble spreading, because each infected person meets few people who can catch it. As a result, people who cannot be vaccinated, such as newborn babies or patients with weak immune systems, are also protected. For very contagious diseases like measles, about 95 percent of people need to be immune for this to work.

Some vaccines need booster doses because immune memory fades over time. Therefore tetanus shots, for example, are recommended every ten years."""),

("science-tides", "https://science.example.edu/explainers/what-causes-tides",
"""What Causes the Tides?

Twice a day along most coasts, the sea rises and falls by a metre or more. The main cause is the Moon's gravity, with a smaller contribution from the Sun.

Gravity gets weaker with distance. The side of the Earth facing the Moon is about 12,700 kilometres closer to it than the far side, so the ocean on the near side is pulled a little more strongly than the Earth as a whole. Water piles up there in a bulge.

On the far side, the ocean is pulled less strongly than the Earth, and as a result a second bulge forms on the opposite side. The Earth rotates through both bulges every day, therefore most places experience two high tides and two low tides roughly every 24 hours and 50 minutes. The extra 50 minutes comes from the Moon moving along its orbit in the meantime.

Spring and neap tides
The Sun also raises tides, about half as strong as the Moon's. When the Sun, Moon and Earth line up, at new moon and full moon, their effects add together and produce spring tides with a large range. When the Sun and Moon are at right angles, at the quarter moons, they partly cancel each other, so the range is small. These are called neap tides.

Local differences
The real tides at a given place depend strongly on the shape of the coast and the sea floor. In the Bay of Fundy in Canada, the funnel shape of the bay amplifies the tide to more than 15 metres. However, the Mediterranean Sea has tides of only a few centimetres in many places, because it is almost closed off from the Atlantic."""),

("science-sleep", "https://science.example.edu/explainers/why-do-we-need-sleep",
"""Why Do We Need Sleep?

Adults spend roughly a third of their lives asleep, yet scientists are still working out exactly why. What is clear is that going without sleep quickly harms the brain and the body.

Sleep is not a single state. During the night, the brain cycles through light sleep, deep sleep and rapid eye movement (REM) sleep about every 90 minutes. Deep sleep is most common early in the night, while REM sleep, when most vivid dreams happen, becomes longer towards the morning. Therefore cutting a night short by getting up early mostly removes REM sleep.

Memory
During deep sleep, the brain replays patterns of activity from the day. Researchers think this helps move new memories from short-term storage into long-term storage. In many experiments, people who slept after learning a task remembered it better than people who stayed awake for the same amount of time.

Cleaning
A study in mice found that the space between brain cells widens during sleep, so fluid can flow through more easily and wash away waste products. One of these is a protein linked to Alzheimer's disease. However, how important this process is in humans is still being studied.

Effects of too little sleep
After one night without sleep, reaction times can be as slow as those of a person who has been drinking alcohol. People who regularly sleep less than six hours have a higher risk of weight gain, high blood pressure and infections, because sleep loss affects hormones and the immune system.

Most adults need seven to nine hours. Teenagers need more, and their internal clocks shift later during puberty, which is why many of them find it hard to fall asleep early."""),

("science-batteries", "https://science.example.edu/explainers/how-lithium-ion-batteries-work",
"""How Lithium-Ion Batteries Work

Lithium-ion batteries power phones, laptops and electric cars. They are popular because they store a lot of energy for their weight and can be recharged hundreds or thousands of times.

Inside a battery
Each cell has two electrodes separated by a thin porous sheet. The negative electrode is usually made of graphite, a form of carbon, and the positive electrode of a metal oxide containing lithium. Both are soaked in a liquid electrolyte that lets lithium ions move but blocks electrons.

When the battery discharges, lithium ions travel through the electrolyte from the graphite to the metal oxide. At the same time, electrons flow through the outside circuit, for example through your phone, and this flow of electrons is the electric current. Charging pushes the ions back into the graphite, so the battery is ready to be used again.

Why batteries wear out
Each charge cycle causes small, irreversible changes. A thin layer forms on the graphite surface and traps some lithium, and as a result the battery can hold a little less charge each time. Heat speeds up these reactions. Therefore a phone that is often charged while hot, for example on a car dashboard, loses capacity faster.

Keeping a battery at 100 percent for long periods also stresses it. Many devices now stop charging at 80 or 90 percent overnight for this reason.

Safety
If a cell is damaged or badly made, the separator can fail and the electrodes touch. The short circuit heats the cell, which can set off further reactions and a fire. However, such failures are rare, since modern batteries include several protective circuits."""),

("science-photosynthesis", "https://science.example.edu/explainers/photosynthesis-basics",
"""Photosynthesis in Plain Language

Almost all life on Earth runs on energy that plants capture from sunlight. They do it through photosynthesis, a process that turns carbon dioxide and water into sugar, releasing oxygen as a by-product.

Where it happens
Photosynthesis takes place in chloroplasts, tiny green structures inside plant cells. They are green because they contain chlorophyll, a pigment that absorbs red and blue light but reflects green light. Therefore most leaves look green to us.

Two stages
In the first stage, chlorophyll absorbs light and uses its energy to split water molecules. This releases oxygen, and the energy is stored temporarily in two carrier molecules. In the second stage, called the Calvin cycle, the plant uses that stored energy to attach carbon dioxide from the air to other molecules, step by step building sugar.

Why leaves have pores
Leaves take in carbon dioxide through small pores called stomata. However, water vapour escapes through the same pores. On hot, dry days many plants close their stomata to save water, and as a result photosynthesis slows down. Some desert plants, such as cacti, open their pores only at night, when it is cooler, and store the carbon dioxide until the sun rises.

Why it matters
The sugar made by photosynthesis feeds the plant and, through food chains, nearly every animal. The oxygen it releases built up over billions of years to form the air we breathe. Photosynthesis also removes carbon dioxide from the atmosphere, so forests and ocean algae play an important role in the climate."""),

("travel-lisbon", "https://travel.example.com/guides/three-days-in-lisbon",
"""Three Days in Lisbon: A Relaxed Itinerary

Lisbon is built on seven hills, so comfortable shoes matter more here than in most European capitals. The city is compact, however, and you can see a lot in three days without rushing.

Day 1: Alfama and the castle
Start in Alfama, the oldest neighbourhood, where narrow streets climb towards the São Jorge castle. Go in the morning, because the castle gets crowded after eleven. In the evening, listen to fado, the melancholic Portuguese music, in one of the small restaurants. Many of them require a minimum spend, so check the menu first.

Day 2: Belém
Take tram 15 or a train along the river to Belém. The monastery there took about a century to build and is one of the finest examples of the Manueline style. Nearby, a bakery has been selling custard tarts since 1837; the queue moves quickly, therefore don't be put off by its length.

Day 3: Baixa, Chiado and a viewpoint
The flat Baixa district was rebuilt in a grid after the earthquake of 1755 destroyed most of the city centre. Walk up to Chiado for bookshops and cafés, and finish the day at one of the viewpoints, called miradouros, to watch the sunset over the river.

Getting around
Buy a rechargeable transport card at any metro station. The famous tram 28 is charming but very crowded and a favourite spot for pickpockets, since tourists stand close together. Riding it early in the morning is more pleasant.

When to go
Spring and autumn are ideal. July and August are hot and busy, and as a result hotel prices are at their highest."""),

("travel-train-packing", "https://travel.example.com/tips/packing-for-long-train-journeys",
"""Packing for a Long Train Journey

Long-distance trains are a relaxing way to travel, but a day or a night on board is more comfortable with a little planning.

Food and water. Dining cars are often expensive, and on some routes they close early or are missing altogether. Bring a large bottle of water and food that does not need a fridge, such as bread, cheese, fruit and nuts. Avoid strong-smelling food, because you will share the space with other passengers for many hours.

Layers. Train carriages can be cold at night since the air conditioning runs all the time, then warm in the afternoon sun. A light sweater and a scarf that doubles as a blanket solve both problems.

Power. Not every seat has a socket, and those that exist sometimes do not work. Therefore charge your phone fully before departure and carry a power bank. A short extension lead with several outlets makes you popular with your neighbours.

Sleeping. On night trains, pack a small bag with everything you need for the night, so you do not have to open your big suitcase in a narrow compartment. Earplugs and an eye mask help a lot, as the train stops at stations during the night and lights come on in the corridor.

Luggage. Space above the seats is limited, however most trains have racks at the end of each carriage. Keep valuables with you and consider a cable lock for the suitcase on overnight trips.

Entertainment. Mobile signal disappears in tunnels and remote areas, so download films, podcasts and maps before you leave."""),

("travel-iceland-ringroad", "https://travel.example.com/guides/driving-icelands-ring-road",
"""Driving Iceland's Ring Road: What to Know Before You Go

Route 1, known as the Ring Road, circles Iceland in about 1,330 kilometres. Most visitors drive it in seven to ten days, stopping at waterfalls, glaciers and black sand beaches along the way.

Season matters
In summer the road is generally easy to drive, and daylight lasts almost 24 hours in June. In winter, however, storms can close sections of the road for days, and daylight lasts only four to five hours in December. Therefore many travellers who visit between November and March choose a shorter route on the south coast instead of the full loop.

Fuel and distances
The road passes through small towns, but in the east and north there can be more than 100 kilometres between petrol stations. Fill up whenever the tank is half empty. Most stations are unattended and need a card with a PIN.

Speed and safety
The speed limit is 90 kilometres per hour on paved roads and 80 on gravel. Many bridges are single-lane, so slow down and let the car that reaches the bridge first cross. Never stop on the road to take photos, because tourists doing this cause a surprising number of accidents.

Wind
Strong winds are one of the biggest risks. Gusts can tear car doors off their hinges if you open them carelessly. Hold the door firmly with both hands, and check the weather service every morning, since warnings are updated several times a day.

Gravel and F-roads
Roads marked with an F lead into the highlands and are open only in summer. Ordinary rental cars are not allowed on them, as they often include river crossings that require a four-wheel drive."""),

("finance-emergency-fund", "https://money.example.com/basics/why-you-need-an-emergency-fund",
"""Why You Need an Emergency Fund (and How to Build One)

An emergency fund is money set aside for unexpected costs, such as a car repair, a broken boiler or a few months without income. Without one, many people have to pay for these surprises with a credit card, and as a result a one-time problem turns into months of expensive debt.

How much?
A common rule is three to six months of essential expenses: rent or mortgage, food, utilities, insurance and transport. People with irregular income, such as freelancers, often aim for more, because their earnings can drop suddenly. If that amount seems impossible, start with a smaller target of one month. Even a few hundred dollars covers many common emergencies.

Where to keep it
The money should be safe and easy to reach, but not so easy that you spend it by accident. A separate savings account is a good choice. Investing the emergency fund in shares is risky, since markets often fall at the same time as people lose their jobs.

How to build it
Set up an automatic transfer on payday, even if it is small. Money that moves before you see it is easier to save. Put windfalls such as a tax refund or a bonus into the fund until it reaches your target.

Using it
Use the fund only for real emergencies. A holiday or a new phone is not an emergency, however a dental treatment usually is. After you use the fund, pause other savings goals and rebuild it first.

An emergency fund does not earn much interest. Therefore some people see it as lost money, but its real return is the expensive debt you avoid."""),

("finance-index-funds", "https://money.example.com/investing/what-is-an-index-fund",
"""What Is an Index Fund?

An index fund is an investment fund that tries to match the performance of a market index, such as a list of the 500 largest companies in a country. Instead of choosing which shares to buy, the fund simply buys all the companies in the index in the same proportions.

Why they are popular
Index funds have very low fees, because they do not need teams of analysts to pick investments. A typical index fund charges 0.1 to 0.2 percent a year, while many actively managed funds charge 1 percent or more. The difference sounds small, however over thirty years it can reduce the final value of an investment by a quarter or more.

Studies have also found that most active fund managers do not beat their index over long periods after fees are subtracted. Therefore many investors conclude that trying to pick the winners is not worth the cost.

Diversification
Owning hundreds of companies spreads the risk. If one company fails, it makes up only a small part of the fund. However, an index fund still falls when the whole market falls, so it is not a safe place for money you need in the next few years.

How to start
Index funds can be bought through most banks and online brokers, often with small monthly amounts. Many people invest a fixed sum every month, which means they automatically buy more shares when prices are low and fewer when prices are high.

Before investing, pay off expensive debt and build an emergency fund. Paying off a credit card that charges 20 percent interest is a better return than the stock market can promise."""),

("history-suez", "https://history.example.org/articles/building-the-suez-canal",
"""Building the Suez Canal

The Suez Canal connects the Mediterranean Sea with the Red Sea across the narrow strip of land in Egypt. Opened in 1869, it allowed ships to travel between Europe and Asia without sailing around Africa, cutting the voyage from London to Mumbai by about 7,000 kilometres.

Earlier canals
The idea was ancient. Egyptian pharaohs built a canal linking the Nile to the Red Sea more than 2,500 years ago. It was rebuilt several times, but it silted up repeatedly and was finally abandoned in the eighth century.

Construction
The modern canal was promoted by the French diplomat Ferdinand de Lesseps, who obtained a concession from the Egyptian ruler in 1854. Work began in 1859. During the first years, tens of thousands of Egyptian labourers were forced to dig by hand, and thousands died from disease and harsh conditions. Forced labour was later stopped, and as a result the company turned to steam-powered dredgers, which did much of the remaining work.

The canal has no locks, because the sea level is nearly the same at both ends. It was originally about 164 kilometres long and 8 metres deep.

Politics
Britain had opposed the project at first. However, once the canal opened, it became vital to British trade with India, therefore Britain bought Egypt's shares in the canal company in 1875. In 1956, Egypt nationalised the canal, which led to a brief war involving Britain, France and Israel.

Today
The canal has been widened and deepened several times. About 12 percent of world trade passes through it, so even a short blockage can disrupt supply chains around the world."""),

("history-tea-clippers", "https://history.example.org/articles/the-tea-clippers",
"""The Tea Clippers

In the middle of the nineteenth century, the fastest sailing ships in the world raced each other from China to London with the first tea of the season. These ships were called clippers, and the race was followed by newspapers and gamblers across Britain.

Why speed mattered
Tea from the new harvest fetched the highest price, because buyers believed it was fresher and more flavourful. The first ship to reach London could sell its cargo at a premium, and its captain and crew often received a bonus. Therefore shipowners invested in long, narrow hulls and enormous areas of sail.

The Great Tea Race of 1866
The most famous race began in May 1866, when sixteen ships left the Chinese port of Fuzhou within a few days of each other. After more than three months at sea and some 25,000 kilometres, the leading ships Ariel and Taeping arrived in London on the same tide, only minutes apart. The owners agreed to split the premium.

The end of an era
The clippers' dominance did not last. The Suez Canal opened in 1869, and steamships could use it while sailing ships could not, since the winds in the Red Sea were unreliable and towing was expensive. As a result steamships took over the tea trade within a few years.

Some clippers moved to the wool trade from Australia, where the long open-ocean route still favoured sail. However, by the end of the century most of them had been sold or broken up. One survivor, the Cutty Sark, is preserved in a dry dock in Greenwich."""),

("history-vaccination-smallpox", "https://history.example.org/articles/eradicating-smallpox",
"""How Smallpox Was Eradicated

Smallpox killed an estimated 300 million people in the twentieth century alone. In 1980, the World Health Organization declared it eradicated, the first and so far only human disease to be wiped out completely.

Early prevention
Long before vaccines, people in Asia and Africa practised variolation: they deliberately infected healthy people with material from smallpox sores. The resulting illness was usually milder than natural smallpox, however some patients died, and they could infect others.

In 1796, the English doctor Edward Jenner tested an idea that milkmaids had long known: people who had caught cowpox, a mild disease of cows, did not get smallpox. He infected a boy with cowpox and later showed that the boy was protected. Because the new method was much safer, it spread quickly through Europe and beyond.

The eradication campaign
By the 1960s smallpox had disappeared from Europe and North America, but it still killed millions in other parts of the world. In 1967 the WHO began an intensified campaign. Vaccinating every person on Earth was impossible, therefore the teams used a strategy called ring vaccination: whenever a case was found, they vaccinated everyone around the patient, cutting off the chains of transmission.

Why it worked
Smallpox had features that made eradication possible. It infected only humans, so it could not hide in animals. Its rash was easy to recognise, and people who recovered were immune for life.

The last natural case occurred in Somalia in 1977. Samples of the virus are still kept in two high-security laboratories, since scientists disagree about whether they should be destroyed."""),

("opinion-four-day-week", "https://opinion.example.com/2026/06/the-case-for-a-four-day-week",
"""Opinion: The Four-Day Week Deserves a Fair Trial

Several companies in our region have tried a four-day working week over the past two years, and the results have been more encouraging than many critics expected.

The idea is simple: employees work four days instead of five for the same pay, with the aim of getting the same work done. Supporters argue that people are more focused when they have less time, because meetings get shorter and fewer hours are lost to distraction.

In a trial with 61 companies, most reported that productivity stayed the same or improved. Staff took fewer sick days, and fewer people left their jobs. Since hiring and training new employees is expensive, lower turnover alone can save a company a lot of money.

However, the model does not fit every job. A hospital or a bus company cannot simply close on Fridays; it needs people on duty every day, therefore a shorter week means hiring more staff. Small businesses with only a few employees may also find it hard to cover absences.

There is also a risk that five days of work are squeezed into four long days, which would defeat the purpose. The successful trials worked because managers removed unnecessary tasks, not because people worked faster.

Our city council is considering a one-year trial for its office staff. It should go ahead, with clear measures decided in advance: service waiting times, sick leave and employee turnover. If the numbers get worse, the council can return to the old schedule. If they improve, taxpayers and workers both benefit."""),

("review-mystery-novel", "https://books.example.com/reviews/the-salt-archive",
"""Review: The Salt Archive, by Maren Holt

Maren Holt's third novel begins with a body found in the cold storage room of a small museum on the northern coast, and for the first hundred pages it looks like a conventional mystery. It is not, and that is both its strength and its weakness.

The detective, a tired archivist named Ilse Brandt, is not a police officer at all. She is asked to help because the victim was cataloguing a collection of old fishing records, and she is the only person who can read the handwriting. As she works through the records, the novel keeps switching between her investigation and the lives of the fishermen who wrote them a century earlier.

These historical chapters are the best part of the book. Holt describes the hard winters, the salt trade and the rivalries between villages with great detail, so the past feels more alive than the present. The modern chapters are weaker, however, because Ilse remains a distant figure and the secondary characters are thin.

The solution to the murder is clever and fair: all the clues are there, hidden in the old records. Some readers will find the pace too slow, since the body is almost forgotten in the middle of the book.

Overall, The Salt Archive is a rewarding read for people who enjoy history and patient storytelling. Readers who want a fast thriller should look elsewhere.

Rating: 4 out of 5."""),

("faq-solar-panels", "https://energy.example.com/faq/home-solar-panels",
"""Home Solar Panels: Frequently Asked Questions

Do solar panels work on cloudy days?
Yes, but they produce less electricity. On a heavily overcast day, output may drop to 10 to 25 percent of what the panels produce in full sun. They do not need direct sunlight, because they also convert diffuse light that passes through clouds.

How long do panels last?
Most manufacturers guarantee that panels will still produce at least 80 percent of their original output after 25 years. Panels have no moving parts, so they rarely break. The inverter, which converts the direct current from the panels into alternating current for the house, usually needs to be replaced after 10 to 15 years.

Will panels still make power during a blackout?
Usually not. Most home systems are connected to the grid and switch off automatically during a power cut. This protects line workers who are repairing the grid, since they could be hurt by electricity flowing back into the lines. Therefore you need a battery system with a special switch if you want power during outages.

Which direction should the roof face?
In the northern hemisphere, south-facing roofs produce the most electricity. East- and west-facing roofs produce about 15 to 20 percent less, however they spread production more evenly over the day, which can be useful if you use most of your electricity in the morning and evening.

Do the panels need cleaning?
In most climates rain keeps them clean enough. In dusty areas or under trees, occasional cleaning with water and a soft brush can increase output. Do not use a pressure washer, as it can damage the seals."""),

("forum-cat-scratching", "https://pets.example.org/forum/cat-scratches-sofa-2290",
"""My cat scratches the sofa no matter what

Posted by sofa_in_shreds:
Our one-year-old cat keeps scratching the arm of our new sofa. We bought a scratching post and put it in the corner of the room, but she ignores it completely. We've tried saying no and clapping our hands. Nothing works.

Reply from vet_nurse_jo:
Scratching is normal behaviour, so the goal is to redirect it, not stop it. Cats scratch to keep their claws healthy, to stretch, and to leave scent marks from glands in their paws. Because marking is part of it, they like to scratch in places that are important and visible, like the sofa in the living room. A post hidden in a corner doesn't serve that purpose.

Reply from sofa_in_shreds:
That makes sense. The corner is where it looked tidiest.

Reply from vet_nurse_jo:
Put the post right next to the sofa arm she uses. Also check that it is tall and heavy enough. If it wobbles when she pulls on it, she won't trust it. Many posts sold in shops are too short, therefore a cat can't stretch fully on them.

Reply from three_cat_house:
Cover the sofa arm with double-sided tape or a throw for a few weeks. Cats dislike sticky surfaces, and as a result she'll try the post instead. Reward her with a treat when she uses it. Once the habit is set, you can move the post a little at a time.

Reply from sofa_in_shreds:
Two weeks later: post next to the sofa, tape on the arm, treats. She now uses the post every morning. The sofa has survived so far!"""),

("encyclopedia-chess", "https://www.example.org/wiki/Chess_opening_principles",
"""Chess opening principles

In chess, the opening is the first phase of the game, usually the first ten to fifteen moves. Although thousands of specific opening lines have been analysed, beginners are usually taught a few general principles that apply to most of them.

Control the centre
The four central squares are the most important part of the board, because pieces placed there can reach more squares in every direction. A knight in the centre attacks up to eight squares, while a knight on the edge attacks at most four. Therefore players usually begin by moving a central pawn two squares forward.

Develop pieces quickly
Development means moving the knights and bishops off their starting squares so they can take part in the game. Moving the same piece several times in the opening wastes time, and as a result the opponent gains a lead in development.

Keep the king safe
Castling moves the king towards the corner behind a wall of pawns and brings a rook towards the centre at the same time. Most players castle within the first ten moves. Leaving the king in the centre is dangerous, since the central files often open up when pawns are exchanged.

Don't bring the queen out too early
The queen is the most powerful piece. However, if it comes out early, the opponent can attack it with minor pieces while developing them, gaining time with each threat.

Exceptions
These principles are guidelines, not laws. Strong players break them when the specific position justifies it, for example by giving up a pawn to gain rapid development, an idea known as a gambit."""),
]
