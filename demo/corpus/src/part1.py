DOCS = [
("news-harbour-bridge", "https://news.example.com/2026/03/harbour-bridge-reopens",
"""Harbour Bridge Reopens After Eight Months of Repairs

The Harbour Bridge reopened to traffic on Monday morning after eight months of repairs that cost the city 42 million dollars. The bridge had been closed in July because engineers found corrosion in several of the steel cables that hold up the main span.

Mayor Elena Ruiz cut a ribbon at the northern end shortly after six o'clock, and the first buses crossed a few minutes later. "This bridge carries forty thousand people on a normal weekday, so every day it was closed hurt someone," she told reporters.

During the closure, commuters from the northern suburbs had to drive around the bay, which added about thirty minutes to each trip. The ferry company added extra crossings, and as a result ferry ridership almost doubled between August and February.

The repair crews replaced 64 of the 212 cables and repainted the towers. However, the work on the pedestrian walkway is not finished yet. The walkway will stay closed until the end of April because the new railings have not arrived from the supplier.

Traffic engineers expect heavy congestion during the first week. Therefore the city has asked drivers to avoid the bridge between seven and nine in the morning if they can. The transit authority will keep the extra ferry crossings running until Friday.

Residents near the southern approach welcomed the news. Shop owners on Quay Street said their sales fell by a third during the closure, since fewer people passed through the area on their way to work."""),

("news-school-lunch", "https://www.example-gazette.com/local/school-lunch-program-expands",
"""School Lunch Program Expands to Twelve More Schools

The district's free breakfast and lunch program will expand to twelve more schools in September, the school board decided on Thursday by a vote of five to two.

The program started three years ago at eight schools in the eastern part of the district. Teachers there reported that students were more attentive in the morning, and attendance rose by four percent in the first year. Because of those results, parents in other neighbourhoods asked the board to extend it.

The expansion will cost about 1.8 million dollars a year. Most of the money comes from a state grant, so the district will pay only a small share from its own budget. However, the two board members who voted against the plan said the grant lasts only four years and the district may not be able to afford the program after that.

Board chair Samuel Okafor said the district would look for other funding before the grant ends. "We are not going to start feeding children and then stop," he said.

The kitchens at three of the new schools are too small to prepare hot meals. Therefore those schools will receive meals cooked at a central kitchen and delivered each morning in insulated containers.

Parents do not need to fill in any forms, because every student at a participating school can eat for free. The district will publish the menus on its website every Friday for the following week."""),

("news-storm-power", "https://news.example.com/2026/01/winter-storm-power-outages",
"""Thousands Still Without Power Two Days After Winter Storm

More than eleven thousand homes in the valley were still without electricity on Wednesday, two days after a winter storm brought freezing rain and strong winds to the region.

The storm knocked down hundreds of trees, and many of them fell onto power lines. Ice made the problem worse because the extra weight caused branches to snap even where the wind was light. At the peak on Monday night, about sixty thousand customers had lost power.

The utility company said crews from four neighbouring states had arrived to help. Repairs are slow in the hills, however, since many roads are blocked and some lines can only be reached on foot.

Officials opened warming centres in three school gyms and the public library. The centres offer cots, hot drinks and places to charge phones. Nobody has been turned away so far, and the centres will stay open as long as there are outages.

The fire department warned residents not to run generators indoors or in garages. Generators produce carbon monoxide, a gas that has no smell, so people can be poisoned without noticing it. Two people were treated in hospital on Tuesday after using a generator in a closed basement.

The utility expects to restore power to most homes by Friday evening. Customers in remote areas may have to wait until the weekend."""),

("news-library-robot", "https://www.example-gazette.com/culture/library-lends-telescopes",
"""Public Library Now Lends Telescopes, Sewing Machines and Cake Pans

Library cards are good for more than books these days. The Central Public Library has started lending a collection of unusual items, including telescopes, sewing machines, fishing rods and more than forty cake pans in different shapes.

The idea came from librarian Priya Natarajan, who noticed that patrons often asked where they could try a hobby without buying expensive equipment. "People want to find out whether they enjoy astronomy before they spend four hundred dollars on a telescope," she said.

The collection, which the library calls the Library of Things, opened in October with 150 items. Most of them were bought with a donation from a local credit union. Residents also donated some items, such as a bread machine and a set of camping lanterns.

Items can be borrowed for two weeks, just like books. The cake pans turned out to be the most popular, since birthday cakes in the shape of dinosaurs and castles are in high demand. The telescopes have a waiting list of almost three months.

Staff were worried that expensive items would come back broken. However, only two items have been damaged so far, and both were repaired for less than twenty dollars. Therefore the library plans to add another hundred items next year, including a pressure washer and a portable projector."""),

("news-startup-funding", "https://business.example.com/2026/05/battery-recycler-raises-funds",
"""Battery Recycling Startup Raises 30 Million Dollars

Cellcycle, a company that recovers metals from used electric car batteries, has raised 30 million dollars from a group of investors led by Northgate Ventures. The company will use the money to build its first large plant near the port of Eastham.

Electric car batteries contain lithium, nickel and cobalt, metals that are expensive to mine. When a battery reaches the end of its life, those metals are still in it. Cellcycle shreds the old batteries and uses a chemical process to separate the metals, so they can be sold back to battery makers.

Chief executive Tomas Lindqvist said demand for recycled metals is growing because many countries now require new batteries to contain a share of recycled material. "In ten years, recycling will be a normal part of the supply chain, not an exception," he said.

The new plant will be able to process about twenty thousand tonnes of batteries a year. Construction should start in the autumn and take about eighteen months. The company expects to hire 180 people.

However, the recycling business is not without risks. Metal prices fell sharply last year, and as a result several smaller recyclers went out of business. Analysts said Cellcycle's long contracts with two car makers make it less exposed to price swings than its competitors."""),

("news-marathon", "https://sports.example.com/2026/04/city-marathon-record-field",
"""Record Field Expected for City Marathon on Sunday

A record 14,500 runners are registered for Sunday's City Marathon, organisers said on Wednesday. The race starts at seven o'clock at Riverside Park and finishes in front of the old town hall.

The course is the same as last year, but the start will be split into five waves instead of three. Organisers made the change because the narrow streets near the river became crowded during the first kilometres last year, and many runners had to walk.

Forecasters expect a cool morning with temperatures around eight degrees, which is good news for the runners. Warm weather makes a marathon harder because the body has to spend more energy on cooling itself.

Several streets in the city centre will be closed from five in the morning until three in the afternoon. Therefore buses on lines 4, 9 and 12 will follow diversions. The metro will run a Sunday service with extra trains before the start.

The race will also raise money for the children's hospital. Runners have collected about 600,000 dollars in donations so far, which is more than in any previous year.

Last year's winner, Amina Yusuf, will not defend her title since she is recovering from a foot injury. However, she plans to watch the race from the finish line and hand out the medals."""),

("howto-bike-chain", "https://www.example.org/guides/how-to-clean-a-bike-chain",
"""How to Clean and Lubricate a Bicycle Chain

A clean chain makes your bike quieter, shifts better and lasts longer. Dirt mixed with old oil forms a paste that works like sandpaper, so a dirty chain wears out the gears much faster than a clean one.

What you need: a rag, a stiff brush (an old toothbrush works), a degreaser, a bucket of warm soapy water and a bottle of chain lubricant.

1. Shift to the smallest rear gear. This takes tension off the chain and makes it easier to reach.

2. Apply degreaser to the chain while you turn the pedals backwards. Let it soak for a few minutes, because the degreaser needs time to dissolve the old oil.

3. Scrub the chain with the brush, then scrub the rear gears and the small wheels of the derailleur. Most of the dirt hides between the gear teeth.

4. Rinse with the soapy water and then with clean water. Do not spray water at high pressure into the hubs or the bottom bracket, since it can push grit past the seals.

5. Dry the chain completely with a rag. Water left on the chain causes rust, therefore this step matters more than it seems.

6. Put one drop of lubricant on each link while turning the pedals. Wait five minutes, then wipe off the extra oil. The lubricant only needs to be inside the rollers; oil on the outside just attracts new dirt.

How often should you do this? Riders who commute in the rain should clean the chain every week. However, if you only ride on dry days, once a month is usually enough."""),

("howto-sourdough-starter", "https://www.example.org/guides/make-a-sourdough-starter",
"""How to Make a Sourdough Starter from Scratch

A sourdough starter is a mixture of flour and water in which wild yeast and bacteria live. Bakers use it instead of packaged yeast, and it gives the bread its sour taste and chewy texture.

Day 1: Mix 50 grams of whole wheat flour with 50 grams of water in a clean glass jar. Cover the jar loosely and leave it at room temperature. Whole wheat flour works better than white flour at the start because it contains more of the microbes and nutrients the starter needs.

Days 2 to 7: Once a day, throw away about half of the mixture and add another 50 grams of flour and 50 grams of water. Removing part of the starter keeps the amount manageable, and the fresh flour feeds the yeast.

During the first days, the mixture may smell like cheese or nail polish. This is normal and does not mean it has gone bad. The smell changes as the yeast takes over, and after about a week the starter should smell pleasantly sour.

The starter is ready when it doubles in size within six to eight hours after feeding. If it does not rise, move it to a warmer place, since yeast is slow below twenty degrees.

Once the starter is active, you can keep it in the fridge and feed it once a week. Take it out the day before you want to bake, and feed it twice so that it is strong enough to raise the dough.

A common mistake is to give up too early. Many starters look dead on the third or fourth day, however they usually recover if you keep feeding them."""),

("howto-tire-change", "https://autos.example.com/help/how-to-change-a-flat-tyre",
"""How to Change a Flat Tyre Safely

A flat tyre is annoying, but changing it yourself takes about twenty minutes once you know the steps. Read the instructions before you need them, because a dark roadside is not a good place to learn.

First, find a safe spot. Drive slowly to a flat, straight section of road away from traffic, turn on the hazard lights and apply the parking brake. Never try to lift the car on a slope, since it can roll off the jack.

Next, take out the spare wheel, the jack and the wheel wrench. In most cars they are under the floor of the boot.

Loosen the wheel nuts by about half a turn while the wheel is still on the ground. If you lift the car first, the wheel will simply spin when you turn the wrench. The nuts are often very tight, therefore you may need to stand on the wrench.

Place the jack at the lifting point shown in the owner's manual and raise the car until the flat tyre is a few centimetres off the ground. Remove the nuts and the wheel, and put the spare in its place.

Tighten the nuts by hand, lower the car, and then tighten them firmly with the wrench in a star pattern. Tightening them in a circle can pull the wheel slightly off centre.

Many spare wheels are smaller than normal wheels and are not meant for long trips. Most of them have a speed limit of 80 kilometres per hour, so drive to a tyre shop as soon as you can."""),

("howto-houseplants", "https://www.example.org/home/keep-houseplants-alive-in-winter",
"""Keeping Houseplants Alive Through the Winter

Many houseplants struggle in winter, and most of them die for the same few reasons. Less light, dry air from heating and too much water are the usual causes.

Light is the biggest change. Days are shorter and the sun is lower, so a plant that was happy two metres from a window in July may be starving in December. Move plants closer to the brightest window you have. A south-facing window is best in the northern hemisphere.

Water less often. Plants grow slowly in winter because they get less light, and as a result they use much less water. Soil that stays wet for weeks lets the roots rot. Before watering, push a finger into the soil; if the top three centimetres are still damp, wait.

Heating makes indoor air very dry, which is hard on tropical plants such as ferns and calatheas. Grouping plants together raises the humidity around them, since each plant releases a little moisture. A tray of pebbles and water under the pots also helps.

Keep plants away from radiators and from cold drafts. Leaves that touch a cold window pane can freeze even when the room is warm.

Do not fertilise in winter. The plant cannot use the extra nutrients while it is barely growing, therefore the salts simply build up in the soil and can burn the roots. Start feeding again in spring, when new leaves appear."""),

("howto-password-manager", "https://tech.example.net/guides/start-using-a-password-manager",
"""Getting Started with a Password Manager

If you use the same password on several websites, one leak can expose all of your accounts. Attackers take lists of stolen email addresses and passwords and try them on other sites automatically. Therefore the single most useful thing you can do for your online security is to use a different password everywhere.

Nobody can remember fifty different strong passwords, however, and that is where a password manager helps. It stores all your passwords in an encrypted vault, and you only need to remember one main password to unlock it.

Step 1: Choose a password manager. Look for one that has been independently audited and that works on all your devices, such as your phone, laptop and browser.

Step 2: Create a strong main password. A good choice is a passphrase of four or five random words, because it is long but still easy to type. Write it on paper and keep it somewhere safe at home until you know it by heart.

Step 3: Turn on two-factor authentication for the password manager itself. Even if someone learns your main password, they cannot open the vault without the second factor.

Step 4: Start with your most important accounts: email, bank and phone provider. Your email matters most because it can be used to reset the passwords of almost everything else.

Step 5: Change the rest over time. You do not have to do it in one evening. Each time you log in to a site, let the manager generate a new random password and save it.

After a few weeks, most of your accounts will have unique passwords, and you will wonder how you managed without it."""),

("howto-job-interview", "https://careers.example.com/advice/prepare-for-a-job-interview",
"""How to Prepare for a Job Interview in Three Evenings

Good preparation makes interviews less stressful because you spend less energy on surprises. This plan spreads the work over three evenings.

Evening one: study the company. Read its website, its recent news and, if it is listed, its annual report. Find out what it sells, who its customers are and what problems it is trying to solve. Interviewers often ask why you want to work there, so a specific answer will set you apart.

Evening two: prepare your stories. Most interview questions ask about past behaviour, such as a time you solved a difficult problem or disagreed with a colleague. Write down five short stories from your work or studies. For each one, describe the situation, what you did and what the result was. Numbers help, for example "we reduced waiting times by 20 percent".

Evening three: practise out loud. Answering a question in your head is not the same as saying it, therefore ask a friend to interview you or record yourself on your phone. Listen for filler words and answers that run longer than two minutes.

Also prepare two or three questions for the interviewer. Asking nothing can look like a lack of interest. Good questions are about the work itself, such as what a typical week looks like or how success is measured in the first six months.

On the day, arrive ten minutes early, but not thirty. Arriving much too early can make the interviewer feel rushed. Bring a printed copy of your CV, since the people on the panel may not all have read it."""),

("product-kettle", "https://shop.example.net/kitchen/electric-kettle-ks200",
"""KS200 Variable Temperature Electric Kettle, 1.7 Litres

Brew every drink at its best temperature. The KS200 lets you choose from six preset temperatures between 40 and 100 degrees, so green tea, coffee and baby formula are each prepared just right.

Why temperature matters: boiling water scorches delicate green and white teas and makes them bitter. Coffee brewed with water that is too cool tastes sour, because fewer flavour compounds dissolve. With the KS200 you press one button and the kettle stops heating at exactly the temperature you chose.

Features
- 1.7 litre capacity, enough for six large cups
- 2200 watt heating element: boils a full kettle in about four minutes
- Keep-warm mode holds the temperature for up to 60 minutes
- Stainless steel interior with no plastic in contact with the water
- Automatic shut-off when the kettle is empty or lifted from the base
- 360 degree base for left- and right-handed use

Care: descale the kettle once a month if you live in an area with hard water. Limescale makes the element less efficient, and as a result the kettle takes longer to boil and uses more electricity. A mixture of water and citric acid works well.

In the box: kettle, power base, removable limescale filter, user manual.

Warranty: two years. The warranty does not cover damage caused by heating the kettle without water, however the automatic shut-off makes this very unlikely.

Customer rating: 4.6 out of 5 from 1,284 reviews."""),

("product-hiking-boots", "https://shop.example.net/outdoor/trailmaster-hiking-boots",
"""TrailMaster Mid Waterproof Hiking Boots (Men's and Women's)

Built for long days on rough ground, the TrailMaster Mid combines a waterproof membrane with a stiff, grippy sole. It is our best-selling boot for hikers who carry a medium pack on mixed terrain.

Waterproof yet breathable. The membrane has pores that are too small for water drops to pass through, but large enough for water vapour to escape. Therefore your feet stay dry from puddles outside and from sweat inside. No membrane is perfect in hot weather, however, so on summer day hikes a lighter mesh shoe may be more comfortable.

Support where you need it. The mid-height collar protects the ankle from knocks and gives some support on uneven trails. It does not prevent sprains on its own, but many hikers find it gives them more confidence on descents.

Grip. The rubber outsole has deep lugs that are spaced widely apart, because wide spacing lets mud fall out instead of packing into the sole.

Fit advice: hiking boots should be tried on in the afternoon, since feet swell during the day. Wear the socks you will hike in and leave about a finger's width of space in front of your toes, so your toes do not hit the front on steep downhill sections.

Weight: 540 grams per boot (men's size 42).
Sizes: 36 to 48, regular and wide.
Returns: free within 60 days, even if the boots have been worn outdoors.

Break them in with a few short walks before a big trip. New boots rarely cause blisters if they fit well, but stiff leather needs some time to soften."""),

("product-robot-vacuum", "https://shop.example.net/home/cleanbot-s7-robot-vacuum",
"""CleanBot S7 Robot Vacuum with Laser Mapping

The CleanBot S7 maps your home with a laser sensor and cleans room by room in neat, straight lines. Older robots bounce randomly from wall to wall, so they miss spots and clean other spots three times. The S7 knows where it has been.

What it does well
- Hard floors and low-pile carpets: strong suction of 4000 Pa lifts fine dust and crumbs.
- Pet hair: the rubber main brush does not tangle as easily as bristle brushes.
- Scheduling: set cleaning times for each room in the app.
- No-go zones: draw lines on the map to keep the robot away from pet bowls or cables.

What it does not do
The S7 does not mop, and it cannot climb steps higher than two centimetres. It also cannot clean stairs, because it has no way to lift itself from one step to the next.

Battery: about 150 minutes on the normal setting. If the battery runs low during a large job, the robot returns to its dock, charges and then continues where it stopped.

Noise: 58 decibels on the quiet setting, which is similar to a normal conversation. Many owners schedule cleaning while they are at work, however, since the turbo setting is considerably louder.

Maintenance: empty the bin after every run and clean the filter once a week. A clogged filter reduces suction, and as a result the robot leaves more dirt behind. Replacement brushes and filters are sold in a three-month kit.

Includes: robot, charging dock, one side brush, one spare filter, cleaning tool."""),

("forum-sourdough-flat", "https://forum.example.com/t/why-is-my-sourdough-so-flat/48213",
"""Why is my sourdough so flat? (third attempt)

Posted by crumbshot:
Third loaf this month and it spreads out like a pancake in the oven. My starter doubles in about five hours, so I don't think the starter is the problem. I use 500 g bread flour, 375 g water, 100 g starter and 10 g salt. Bulk ferment is about 10 hours on the counter, then I shape it and put it straight in the oven. What am I doing wrong?

Reply from oven_spring:
Ten hours is probably too long unless your kitchen is cold. At 24 degrees your dough might be over-fermented after six or seven hours. When dough over-ferments, the gluten gets weak and can't hold its shape, so it spreads. Watch the dough rather than the clock: it should grow by about 50 percent and feel airy, with bubbles on the sides of the container.

Reply from crumbshot:
My kitchen is about 25 degrees right now, so that could be it. I'll try six hours.

Reply from Margit_bakes:
Also, 75 percent water is quite a lot for a beginner. Wet dough is harder to shape, therefore it tends to flatten even when the fermentation is right. Try 68 or 70 percent until you get a feel for shaping. And put the shaped loaf in the fridge overnight. Cold dough is firmer and much easier to score, and it holds its shape better when it goes into the hot oven.

Reply from crumbshot:
Update: six hours bulk, 70 percent water, overnight in the fridge. It actually rose! Not perfect, the crumb is a bit tight, however it's the first loaf that looks like bread. Thanks all."""),

("forum-laptop-fan", "https://forum.example.com/t/laptop-fan-always-loud/91077",
"""Laptop fan always loud even when idle

Posted by quietplease:
My two year old laptop has started running its fan at full speed all the time, even when I'm only reading email. It also gets hot on the bottom. Task manager shows CPU use around 5 percent. Any ideas before I take it to a shop?

Reply from thermal_paste_guy:
If the CPU isn't busy, the fan is probably working hard because it can't move enough air. After two years the heatsink fins are often blocked with dust. The fan then has to spin faster to remove the same amount of heat. Blow compressed air through the vents in short bursts, while holding the fan still with a toothpick so it doesn't spin too fast.

Reply from quietplease:
Tried the compressed air. A surprising amount of grey fluff came out. It's a bit better but still louder than it used to be.

Reply from m_lopez:
Check the power plan too. Some updates switch the laptop to a high performance mode, which keeps the processor at a high clock speed all the time. As a result it produces more heat even with nothing to do. Set it back to balanced.

Reply from thermal_paste_guy:
If neither helps, the thermal paste between the CPU and the heatsink may have dried out. Dry paste conducts heat badly, so the CPU runs hotter. Replacing it is cheap, however opening some laptops voids the warranty, so check that first.

Reply from quietplease:
It was the power plan! Some update had set it to maximum performance. Fan is quiet again. Thanks everyone."""),
]
